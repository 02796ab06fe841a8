# SPDX-License-Identifier: Apache-2.0
"""A run replaces only its own section of RESULTS.md, and writes it in the layout already there."""
import os
import re
import tempfile
import unittest

from leakscope_bench import results
from leakscope_bench.sections import churn, dump, fleet, jvm, memory, micro, suspects, trend

RESULTS_MD = os.path.join(os.path.dirname(__file__), "..", "..", "RESULTS.md")

OLD = """# leakscope benchmarks

Written by `scripts/bench` (issue 5); do not edit by hand. Each section says when, where and
how it was measured. Rerun with `scripts/bench` (`--only churn|memory` for one section).

<!-- section:churn -->
## churn
old churn
<!-- end:churn -->

<!-- section:memory -->
## memory
<!-- end:memory -->
"""


class MergeTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.dir.name, "RESULTS.md")

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.out) as f:
            return f.read()

    def test_replaces_its_section_and_keeps_the_rest_byte_for_byte(self):
        with open(self.out, "w") as f:
            f.write(OLD)
        results.merge_section(self.out, "churn", ["<!-- section:churn -->", "## churn", "new",
                                                  "<!-- end:churn -->"])
        expected = OLD.replace("old churn", "new").replace("--only churn|memory", "--only SECTION")
        self.assertEqual(self.read(), expected)

    def test_appends_a_new_section_after_a_blank_line(self):
        with open(self.out, "w") as f:
            f.write(OLD)
        results.merge_section(self.out, "trend",
                              ["<!-- section:trend -->", "t", "<!-- end:trend -->"])
        expected = OLD.replace("--only churn|memory", "--only SECTION")
        appended = "\n<!-- section:trend -->\nt\n<!-- end:trend -->\n"
        self.assertEqual(self.read(), expected + appended)

    def test_starts_a_missing_file_with_the_header(self):
        results.merge_section(self.out, "jvm", ["<!-- section:jvm -->", "<!-- end:jvm -->"])
        self.assertEqual(self.read(), results.HEADER + "<!-- section:jvm -->\n<!-- end:jvm -->\n")


class LayoutTest(unittest.TestCase):
    """Every fixed line of a section's prose and table headings is in the committed RESULTS.md,
    in that section: a port or an edit that changed the layout would make every diff of
    RESULTS.md show more than figures changing."""

    def test_fixed_lines_of_every_section_are_in_results_md(self):
        with open(RESULTS_MD) as f:
            text = f.read()
        for name, module in (("churn", churn), ("memory", memory), ("micro", micro),
                             ("dump", dump), ("trend", trend), ("fleet", fleet), ("suspects", suspects),
                             ("jvm", jvm)):
            section = re.search(r"<!-- section:%s -->\n(.*?)<!-- end:%s -->" % (name, name),
                                text, re.S)
            self.assertIsNotNone(section, name)
            lines = set(section.group(1).split("\n"))
            templates = [v for k, v in vars(module).items() if k.startswith("_") and
                         isinstance(v, str) and v.endswith("\n")]
            self.assertTrue(templates, name)
            for template in templates:
                for line in template.split("\n"):
                    if line and "{" not in line:
                        self.assertTrue(line in lines, "%s: not in RESULTS.md: %r" % (name, line))


if __name__ == "__main__":
    unittest.main()

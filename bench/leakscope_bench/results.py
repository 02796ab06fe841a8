# SPDX-License-Identifier: Apache-2.0
"""bench/RESULTS.md: each section sits between `<!-- section:NAME -->` and `<!-- end:NAME -->`;
a run replaces the sections it ran and keeps the others byte for byte."""
import os

HEADER = """# leakscope benchmarks

Written by `scripts/bench` (issue 5); do not edit by hand. Each section says when, where and
how it was measured. Rerun with `scripts/bench` (`--only SECTION` for one section).

"""


def merge_section(out, name, lines):
    """Replaces section name in the results file out with lines (start and end markers
    included), or appends it when the file has no such section yet."""
    text = HEADER
    if os.path.exists(out):
        with open(out) as f:
            text = f.read()
    # Files written before the micro, dump, trend and jvm sections existed name only two.
    text = text.replace("(`--only churn|memory` for one section)",
                        "(`--only SECTION` for one section)")
    start, end = "<!-- section:%s -->" % name, "<!-- end:%s -->" % name
    old = text.split("\n")
    if start in old:
        merged, skip, done = [], False, False
        for line in old:
            if line == start:
                # A second copy of the section would be dropped, as the awk merge did.
                if not done:
                    merged += lines
                done, skip = True, True
            elif line == end:
                skip = False
            elif not skip:
                merged.append(line)
        text = "\n".join(merged)
    else:
        existing = text.splitlines()
        if existing and existing[-1] != "":
            text += "\n"
        text += "\n".join(lines) + "\n"
    # Written in place, as before: the file keeps its owner and mode.
    with open(out, "w") as f:
        f.write(text)

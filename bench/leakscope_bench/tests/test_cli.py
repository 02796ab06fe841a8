# SPDX-License-Identifier: Apache-2.0
"""scripts/bench's options and exit codes: 2 with the help text for bad usage, 1 with one
"bench:" line for a bad value. None of these runs or builds anything."""
import os
import subprocess
import unittest

BENCH = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "bench")


def bench(*args):
    return subprocess.run([BENCH] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


class CliTest(unittest.TestCase):
    def test_help_prints_the_usage_and_exits_2(self):
        r = bench("--help")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, "")
        self.assertTrue(r.stderr.startswith("scripts/bench: leakscope's overhead benchmarks"))
        self.assertIn("Usage: scripts/bench [--quick] [--only churn|memory|micro|dump|trend|fleet|suspects|jvm]",
                      r.stderr)

    def test_an_unknown_argument_is_named_before_the_usage(self):
        r = bench("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("bench: unknown argument: --bogus\nscripts/bench:"))

    def test_bad_values_stop_with_one_message(self):
        for args, message in ((["--only", "heap"], "--only takes churn, memory, micro, dump, "
                               "trend, fleet, suspects or jvm"),
                              (["--runs", "0"], "--runs takes a positive number"),
                              (["--allocs", "1e6"], "--allocs takes a positive number"),
                              (["--threads", "-2"], "--threads takes a positive number"),
                              (["--only"], "--only needs a value"),
                              (["--out", "/nonexistent-dir/R.md"],
                               "no directory for /nonexistent-dir/R.md")):
            r = bench(*args)
            self.assertEqual((r.returncode, r.stderr), (1, "bench: %s\n" % message), args)


if __name__ == "__main__":
    unittest.main()

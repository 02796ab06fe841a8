# SPDX-License-Identifier: Apache-2.0
"""Figures round as the awk original rounded them, so results stay comparable across the port."""
import unittest

from leakscope_bench.measure import Run
from leakscope_bench.stats import awk_num, fmt, paired_stats, ratio, stats, verdict


class StatsTest(unittest.TestCase):
    def test_median_of_odd_and_even_counts_with_range(self):
        self.assertEqual(stats([3.0, 1.0, 2.0]), (2.0, 1.0, 3.0))
        self.assertEqual(stats([4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0))

    def test_statistics_are_kept_to_six_decimals(self):
        self.assertEqual(stats([1.23456789]), (1.234568, 1.234568, 1.234568))

    def test_paired_ratios_keep_six_significant_digits_as_awk_printed_them(self):
        # 12.3456789 / 1 prints as 12.3457 in awk; the median of that is 12.345700, not 12.345679.
        rows = [Run(12.3456789, 2.0, 0), Run(24.6913578, 4.0, 0)]
        base = [Run(1.0, 1.0, 0), Run(2.0, 0.0, 0)]
        self.assertEqual(paired_stats(rows, base, 0), (12.3457, 12.3457, 12.3457))
        # A round whose base is 0 is left out, not divided by.
        self.assertEqual(paired_stats(rows, base, 1), (2.0, 2.0, 2.0))

    def test_awk_num_prints_integers_whole_and_others_to_six_digits(self):
        self.assertEqual(awk_num(8.0), "8")
        self.assertEqual(awk_num(54.6484375), "54.6484")
        self.assertEqual(awk_num(0.000123456789), "0.000123457")

    def test_ratio_and_its_verdict(self):
        self.assertEqual(ratio(1.051, 1.0, 3), "1.051")
        self.assertEqual(ratio(1.0, 0.0), "n/a")
        # Judged on the printed figure: 1.051 must not round into "1.05, holds".
        self.assertEqual(verdict("1.051", 1.05), "**missed**")
        self.assertEqual(verdict("1.050", 1.05), "holds")
        self.assertEqual(verdict("n/a", 1.05), "**missed**")

    def test_fmt_prints_text_that_is_no_number_as_zero_like_awk(self):
        self.assertEqual(fmt("0.6594", 2), "0.66")
        self.assertEqual(fmt("", 2), "0.00")
        self.assertEqual(fmt(float("nan")), "nan")


if __name__ == "__main__":
    unittest.main()

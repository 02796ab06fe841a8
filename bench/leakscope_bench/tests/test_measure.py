# SPDX-License-Identifier: Apache-2.0
"""Commands shown in RESULTS.md read back the same in a shell; key=value output parses as
awk did."""
import subprocess
import unittest

from leakscope_bench.measure import parse_kv, quote_cmd


class QuoteTest(unittest.TestCase):
    def test_plain_words_stay_unquoted(self):
        command = ["env", "LD_PRELOAD=/b/lib/libleakscope.so",
                   "MALLOC_CONF=prof:true,lg_prof_sample:17", "-agentpath:/b/lib/libleakscope.so",
                   "--benchmark_min_time=0.05"]
        self.assertEqual(quote_cmd(command), " ".join(command))

    def test_other_words_read_back_the_same_in_bash(self):
        command = ["printf", "%s\\n", "a b", "it's", "$HOME", "", "x;y", "*"]
        words = subprocess.run(["bash", "-c", quote_cmd(command)], stdout=subprocess.PIPE,
                               text=True, check=True).stdout
        self.assertEqual(words, "a b\nit's\n$HOME\n\nx;y\n*\n")


class KvTest(unittest.TestCase):
    def test_first_value_of_a_key_wins_and_stops_at_a_second_equals_sign(self):
        kv = parse_kv("sites=505\nnote=a=b\nsites=7\nno separator\n")
        self.assertEqual(kv, {"sites": "505", "note": "a"})


if __name__ == "__main__":
    unittest.main()

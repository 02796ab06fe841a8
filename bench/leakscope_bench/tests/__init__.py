# SPDX-License-Identifier: Apache-2.0
"""Checks of the bench code itself, from the repository:
python3 -B -m unittest discover -s bench -t bench
"""

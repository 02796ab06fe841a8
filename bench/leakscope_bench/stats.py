# SPDX-License-Identifier: Apache-2.0
"""Medians, ranges, ratios and verdicts, formatted as bench/RESULTS.md has always shown them.

The figures pass through the same text forms as in the awk original (six decimals for stored
times and statistics, six significant digits where awk printed a computed number), so a figure
rounds the same way in the port and in the results written before it.
"""


def awk_num(x):
    """A number as awk's print shows it: integers whole, others with six significant digits."""
    if x == int(x) and abs(x) < 2**31:
        return str(int(x))
    return "%.6g" % x


def six(x):
    """x rounded to six decimals, as stored in the timing lines and printed by stats."""
    return float("%.6f" % x)


def stats(values):
    """(median, min, max) of a list of numbers, each to six decimals; NaNs when it is empty."""
    v = sorted(values)
    n = len(v)
    if n == 0:
        nan = float("nan")
        return nan, nan, nan
    m = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return six(m), six(v[0]), six(v[-1])


def paired_stats(rows, base_rows, col):
    """stats over rounds of rows[i][col] / base_rows[i][col] (round i of each).

    This machine's speed drifts by tens of percent within a minute (other tenants), and one
    round's configurations run back to back, so the ratio within a round cancels the drift that
    the ratio of two medians keeps.
    """
    ratios = []
    for row, base in zip(rows, base_rows):
        if base[col] > 0:
            ratios.append(float(awk_num(row[col] / base[col])))
    return stats(ratios)


def ratio(a, b, digits=2):
    """a / b with the given decimals, "n/a" when b is not positive."""
    return "%.*f" % (digits, a / b) if b > 0 else "n/a"


def fmt(x, digits=3):
    """x with the given decimals; text that is no number prints as 0, as awk's printf did."""
    return "%.*f" % (digits, _number(x, 0.0))


def verdict(x, target):
    """"holds" when x <= target; a figure that is no number ("n/a") never holds."""
    return "holds" if _number(x, float("inf")) <= target else "**missed**"


def _number(x, otherwise):
    if isinstance(x, (int, float)):
        return x
    try:
        return float(x)
    except ValueError:
        return otherwise

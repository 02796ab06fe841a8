# SPDX-License-Identifier: Apache-2.0
"""Running one command and measuring it, and reading the machine's own counters.

A command runs under bench/timed_run, which forks it and takes wait4()'s figures: its wall time,
user + sys CPU of every thread and of every descendant it waited for (heaptrack's interpreter and
compressor), and its peak RSS. Python cannot take these itself: a child forked or spawned from
this process starts on the Python interpreter's memory, and the kernel carries that memory's
high-water mark over exec into the child's ru_maxrss (about 15 MiB, against 1 MiB for
timed_run's child), so every peak RSS in the results would be wrong.
"""
import glob
import os
import re
import shutil
import subprocess
import sys


class BenchError(Exception):
    """A failure that ends the bench with exit status 1 and a "bench:" message."""


def note(message):
    print("bench: " + message, file=sys.stderr, flush=True)


class Run:
    """One timed run: wall and CPU seconds (six decimals, as stored since the first bench) and
    peak RSS in KiB."""

    def __init__(self, wall, cpu, maxrss_kib):
        self.wall = wall
        self.cpu = cpu
        self.rss = maxrss_kib

    def __getitem__(self, col):
        return (self.wall, self.cpu, self.rss)[col]


def run_timed(ctx, log, command):
    """Runs command (a list) under timed_run with stdin from /dev/null and stdout, stderr into
    log.out and log.err; returns its Run. A command that fails ends the bench with its last
    stderr lines."""
    figures = ctx.t("t")
    with open(log + ".out", "w") as out, open(log + ".err", "w") as err:
        status = subprocess.run([ctx.bin("timed_run"), figures] + command, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err).returncode
    if status != 0:
        print("bench: failed: " + quote_cmd(command), file=sys.stderr)
        sys.stderr.write("".join(tail_lines(log + ".err", 20)))
        raise BenchError(None)
    # "wall user sys maxrss_kib status", each time to six decimals; CPU is their sum, to six.
    with open(figures) as f:
        wall, user, system, maxrss = f.read().split()[:4]
    return Run(float(wall), float("%.6f" % (float(user) + float(system))), int(maxrss))


def tail_lines(path, n):
    try:
        with open(path, errors="replace") as f:
            return f.readlines()[-n:]
    except OSError:
        return []


def head_lines(path, n):
    try:
        with open(path, errors="replace") as f:
            return [line for _, line in zip(range(n), f)]
    except OSError:
        return []


def _cpu_line():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                return [int(x) for x in line.split()[1:]]
    raise BenchError("no cpu line in /proc/stat")


def machine_jiffies():
    """(busy, total) jiffies of the whole machine, to tell how much else ran meanwhile."""
    user, nice, system, idle, iowait, irq, softirq, steal = _cpu_line()[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def steal_jiffies():
    """Jiffies the hypervisor took from this VM's CPUs (steal time): a guest thread loses its
    CPU for that time without any context switch it could see."""
    return _cpu_line()[7]


def first_dump(dumps_dir):
    """The dump the last run left in dumps_dir, if any (one run at a time writes there)."""
    pattern = os.path.join(dumps_dir, "leakscope.*.dump")
    found = sorted(f for f in glob.glob(pattern) if os.path.isfile(f))
    return found[0] if found else None


def clear_dir(path):
    """Removes what a run left in path (dumps, heaptrack files), keeping path itself."""
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        else:
            os.unlink(full)


def parse_kv(text):
    """KEY=value lines as a dict; the first of a repeated key wins."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key not in values:
            values[key] = value.split("=")[0]
    return values


def read_kv(path):
    with open(path) as f:
        return parse_kv(f.read())


_PLAIN_WORD = re.compile(r"^[A-Za-z0-9_./=:,+@%-]+$")


def quote_cmd(command):
    """The command as one line a shell reads back the same; plain words unquoted, others
    backslash-escaped as bash's printf %q does for printable text."""
    words = []
    for word in command:
        if _PLAIN_WORD.match(word):
            words.append(word)
        elif word == "":
            words.append("''")
        else:
            words.append(re.sub(r"([^A-Za-z0-9_./=:,+@%-])", r"\\\1", word))
    return " ".join(words)

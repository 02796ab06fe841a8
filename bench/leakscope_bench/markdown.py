# SPDX-License-Identifier: Apache-2.0
"""Lines shared by the sections of bench/RESULTS.md: where and when it ran, how loaded the
machine was, the commands, and the notes for quick and skipped runs."""
import os
import subprocess
import time


def _output(command, stderr=subprocess.DEVNULL):
    """The command's stdout, "" when it cannot run."""
    try:
        return subprocess.run(command, stdout=subprocess.PIPE, stderr=stderr, text=True).stdout
    except OSError:
        return ""


def _first_line(text):
    return text.split("\n", 1)[0]


def _proc_value(path, key, sep=":"):
    with open(path) as f:
        for line in f:
            k, s, v = line.partition(sep)
            if s and k.strip() == key:
                return v.strip()
    return ""


def dpkg_version(package):
    """The version installed for this machine's architecture (a machine may hold arm64 copies)."""
    arch = _output(["dpkg", "--print-architecture"])
    versions = _output(["dpkg-query", "-W", "-f=${Architecture} ${Version}\\n", package])
    for line in versions.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] in (arch, "all"):
            return fields[1]
    return versions.split()[-1] if versions.split() else versions


def nproc():
    return len(os.sched_getaffinity(0))


def machine_md(ctx):
    """The date, revision, build directory, machine and tool versions, as three list items."""
    cpu = _proc_value("/proc/cpuinfo", "model name")
    u = os.uname()
    kernel = "%s %s %s" % (u.sysname, u.release, u.machine)
    pretty = ""
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    pretty = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    mem = "%.1f GiB" % (int(_proc_value("/proc/meminfo", "MemTotal").split()[0]) / 1048576)
    head = subprocess.run(["git", "-C", ctx.repo, "rev-parse", "--short", "HEAD"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if head.returncode == 0:
        rev = head.stdout.strip()
        # The results file this bench rewrites does not count: a second section run after a
        # first would otherwise always say "uncommitted".
        dirty = _output(["git", "-C", ctx.repo, "status", "--porcelain", "--", ".",
                         ":!bench/RESULTS.md"])
        if dirty.strip():
            rev += " + uncommitted changes"
    else:
        rev = "no commit yet (working tree)"
    cxx = ""
    try:
        with open(os.path.join(ctx.build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    cxx = line.rstrip("\n").split("=")[1]
                    break
    except OSError:
        pass
    cxx = cxx or "c++"
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[1]
    heaptrack = _first_line(_output(["heaptrack", "--version"]))
    return [
        "- Date: %s; leakscope: %s; build dir: `%s`"
        % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), rev, ctx.build_dir),
        "- Machine: %d CPUs (%s), %s, %s, %s" % (nproc(), cpu, mem, kernel, pretty),
        "- glibc %s; %s; jemalloc %s (`%s`); libunwind %s; compiler: %s"
        % (glibc, heaptrack, dpkg_version("libjemalloc2"), ctx.jemalloc,
           dpkg_version("libunwind8"), _first_line(_output([cxx, "--version"]))),
    ]


def load_md(before, after, ours):
    """How busy the machine was with other work during a timed loop: before and after are
    machine_jiffies(), ours the CPU seconds of the bench's own runs."""
    hz = os.sysconf("SC_CLK_TCK")
    total = (after[1] - before[1]) / hz
    busy = (after[0] - before[0]) / hz
    other = max(busy - float("%.3f" % ours), 0)
    pct = 100 * other / total if total > 0 else 0
    line = ("- Other load: while the timed runs went on, other processes used %.0f%% of the "
            "machine's CPU time (%.1f of %.1f CPU-seconds)" % (pct, other, total))
    if pct > 5:
        line += ". **Noisy: treat these figures as indicative only; rerun on a quiet machine.**"
    return [line]


def sum_cpu(*run_lists):
    """The CPU seconds of every run in the lists."""
    return sum(run.cpu for runs in run_lists for run in runs)


def commands_md(ctx, commands):
    """A fenced block of command lines, with the temporary directory shown as $TMP."""
    return (["Commands (`$TMP` is a temporary directory removed afterwards):", "", "```"]
            + [ctx.hide_tmp(c) for c in commands] + ["```"])


def skipped_section(name, title, why):
    return ["<!-- section:%s -->" % name, "## " + title, "", "**Skipped: %s**" % why,
            "<!-- end:%s -->" % name]


def quick_md(ctx, what):
    if not ctx.quick:
        return []
    return ["**Quick smoke run (--quick): %s; not figures to quote.**" % what, ""]


def text(template, **values):
    """The lines of a block of prose, kept in the source as it reads in RESULTS.md: template's
    {name} fields are filled in from values, and its final line break ends the last line."""
    return template.format(**values).removesuffix("\n").split("\n")

# SPDX-License-Identifier: Apache-2.0
"""jvm: the streaming job's throughput variant under every configuration."""
import os
import re
import shutil
import subprocess

from ..markdown import (commands_md, load_md, machine_md, quick_md, skipped_section, sum_cpu,
                        text)
from ..measure import clear_dir, head_lines, machine_jiffies, note, quote_cmd, run_timed
from ..stats import awk_num, fmt, ratio, stats, verdict
from . import configs

PRELOAD_CONFIGS = ["leakscope-default", "leakscope-agent", "leakscope-routed", "leakscope-exact"]

_METHOD = """\
- Workload: `examples/java` StreamingJob with `--batch-ms 0` (batches back to back, no
  sleeping), {batches} batches, on {version}. Each batch writes data files
  through gzip on two executor threads, leaking a deflate stream per file, and reads and
  caches metadata (leaking inflate streams). JVM start-up is in every run.
- Method: one warm-up round, then {runs} rounds of the configurations interleaved. Wall, CPU
  (user + sys of all threads, from wait4) and peak RSS (ru_maxrss: the largest process,
  the JVM). Ratios are of medians against the plain JVM from this same invocation.

| configuration | wall median s | wall min-max s | CPU median s | CPU min-max s | wall ratio \
| CPU ratio | peak RSS MiB |
|---|---|---|---|---|---|---|---|
"""


def _describe(config):
    return "plain JVM (glibc malloc)" if config == "plain" else configs.describe(config)


def _truth(path):
    """The job's totals and checksum, the same whatever runs under it (heaptrack adds its own
    lines to stdout: keep the job's)."""
    with open(path, errors="replace") as f:
        return "".join(line for line in f
                       if re.match(r"(leaked|closed|direct buffers|checksum)", line))


def run(ctx):
    java = shutil.which("java")
    classes = os.path.join(ctx.build_dir, "examples", "java")
    if not os.path.isfile(os.path.join(classes, "StreamingJob.class")) or not java:
        return skipped_section(
            "jvm", "JVM throughput",
            "TODO: no JVM demo to run (`%s/StreamingJob.class` is built when CMake finds javac 17+;"
            " java: %s)." % (classes, java or "none"))
    batches = 30 if ctx.quick else 300
    job = [java, "-cp", classes, "StreamingJob", "--batch-ms", "0", "--batches", str(batches),
           "--quiet"]
    names = ["plain"] + (PRELOAD_CONFIGS if ctx.have_preload else []) + configs.OTHERS
    note("jvm: warm-up round, then %d interleaved rounds of: %s" % (ctx.runs, " ".join(names)))
    times = {c: [] for c in names}
    truth, stderr = {}, {}
    log = ctx.t("log.jvm")
    for r in range(ctx.runs + 1):
        if r == 1:
            before = machine_jiffies()
        for c in names:
            t = run_timed(ctx, log, configs.command(ctx, c, job))
            if r == 0:
                truth[c] = _truth(log + ".out")
                if c.startswith("leakscope-") and os.path.getsize(log + ".err") > 0:
                    stderr[c] = head_lines(log + ".err", 3)
            else:
                times[c].append(t)
            clear_dir(ctx.dumps)
            configs.remove_heaptrack_files(ctx)
        if r > 0:
            note("jvm: round %d/%d done" % (r, ctx.runs))
    after = machine_jiffies()

    wall_med = {c: stats([t.wall for t in times[c]])[0] for c in names}
    cpu_med = {c: stats([t.cpu for t in times[c]])[0] for c in names}
    version = subprocess.run([java, "-version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True).stdout.split("\n", 1)[0]
    out = ["<!-- section:jvm -->", "## JVM throughput: the streaming job without sleeping", ""]
    out += quick_md(ctx, "%d batches, %d runs" % (batches, ctx.runs))
    out += machine_md(ctx)
    out += load_md(before, after, sum_cpu(*times.values()))
    out += text(_METHOD, batches=batches, version=version, runs=ctx.runs)
    for c in names:
        wm, wl, wh = stats([t.wall for t in times[c]])
        cm, cl, ch = stats([t.cpu for t in times[c]])
        rss = stats([t.rss for t in times[c]])[0]
        wr = ratio(wm, wall_med["plain"]) + "×"
        cr = ratio(cm, cpu_med["plain"]) + "×"
        if c == "jemalloc-prof":
            wr += " (%s× jemalloc)" % ratio(wm, wall_med["jemalloc"])
            cr += " (%s× jemalloc)" % ratio(cm, cpu_med["jemalloc"])
        out.append("| %s | %s | %s-%s | %s | %s-%s | %s | %s | %s |" % (
            _describe(c), fmt(wm), fmt(wl), fmt(wh), fmt(cm), fmt(cl), fmt(ch), wr, cr,
            fmt(awk_num(rss / 1024), 0)))
    out.append("")
    differ = [c for c in names if truth.get(c) != truth.get("plain")]
    if not truth.get("plain"):
        out.append("**The plain JVM printed no totals: the job's output format changed;"
                   " update scripts/bench.**")
    elif not differ:
        out.append("Every configuration printed the plain JVM's totals and checksum"
                   " (warm-up round).")
    else:
        out.append("**Output differed from the plain JVM's in: %s.**" % " ".join(differ))
    for c in PRELOAD_CONFIGS:
        if c in stderr:
            first = stderr[c][0].rstrip("\n") if stderr[c] else ""
            out.append("- **%s: stderr was not empty** (the preload must be silent): `%s`"
                       % (c, first))
    out.append("")
    if ctx.have_preload:
        d = ratio(cpu_med["leakscope-default"], cpu_med["plain"], 3)
        out.append("Target: default sampling CPU %s× the plain JVM: issue 5 (≤ 1.05×) %s."
                   % (d, verdict(d, 1.05)))
        d = ratio(cpu_med["leakscope-agent"], cpu_med["plain"], 3)
        out.append("With the JVMTI agent (issue 6): CPU %s× the plain JVM: issue 5 (≤ 1.05×) %s."
                   % (d, verdict(d, 1.05)))
        d = ratio(cpu_med["leakscope-routed"], cpu_med["plain"], 3)
        out.append("Routed through GOT slots, as after an attach (issue 17): CPU %s× the plain"
                   " JVM: issue 5 (≤ 1.05×) %s." % (d, verdict(d, 1.05)))
        out.append("")
    out += commands_md(ctx, [quote_cmd(configs.command(ctx, c, job)) for c in names])
    out += ["", "<details><summary>Every run: wall s / CPU s</summary>", ""]
    for c in names:
        runs = ", ".join("%.3f/%.3f" % (t.wall, t.cpu) for t in times[c])
        out.append("- %s: %s" % (c, runs))
    out += ["", "</details>", "<!-- end:jvm -->"]
    return out

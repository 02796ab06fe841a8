# SPDX-License-Identifier: Apache-2.0
"""churn: bench/churn's malloc/free loop under every allocator configuration."""
import os
import subprocess

from ..markdown import load_md, machine_md, text
from ..measure import (clear_dir, first_dump, head_lines, machine_jiffies, note, quote_cmd,
                       run_timed)
from ..stats import awk_num, fmt, paired_stats, ratio, stats, verdict
from . import configs

_METHOD = """\
- Workload: `bench/churn`, {threads} threads, {allocs} allocations in total (sizes 16 B-4 KiB, each
  thread a ring of 1024 live blocks), plus 1000 leaked blocks of 1 KiB from `LeakKnownBlocks`.
- Method: one warm-up round, then {runs} rounds running the configurations interleaved in the
  order below. Wall = elapsed time of the command; CPU = user + sys from wait4 (all threads and the
  helper processes it waited for). Ratios are against plain glibc from this same invocation
  (jemalloc profiling also against jemalloc alone), two ways: of the medians, and the median
  over rounds of each round's own ratio (paired: the configurations of a round run back to
  back, so the machine's drift, here tens of percent within a minute, cancels). The targets
  are judged on the paired ratio.

| configuration | wall median s | wall min-max s | CPU median s | CPU min-max s \
| wall ratio of medians | CPU ratio of medians | wall paired ratio (min-max) \
| CPU paired ratio (min-max) | peak RSS MiB |
|---|---|---|---|---|---|---|---|---|---|
"""

_TARGETS = """\
Targets (wall, paired ratio to plain glibc; the ratio of medians in brackets):

- default sampling {d}× ({dm}×): issue 5 (≤ 1.05×) {d5}, issue 2 (≤ 1.10×) {d2}
- every allocation {e}× ({em}×): issue 5 (≤ 2.5×) {e5}, issue 2 (≤ 3×) {e2}

What the recorder saw in the warm-up run (its exit dump, through `bench/dump_memory`):

"""


def _after_run(ctx, config, warmup, log, dumpinfo, stderr):
    """Keeps a summary of the leakscope dump (warm-up only), then clears dumps and traces."""
    if config.startswith("leakscope-"):
        dump = first_dump(ctx.dumps)
        if dump is None:
            dumpinfo[config] = "no dump written\n"
        elif warmup:
            r = subprocess.run([ctx.bin("dump_memory"), dump], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            dumpinfo[config] = r.stdout
        if os.path.getsize(log + ".err") > 0 and config not in stderr:
            stderr[config] = head_lines(log + ".err", 3)
        clear_dir(ctx.dumps)
    elif config == "heaptrack":
        configs.remove_heaptrack_files(ctx)


def run(ctx):
    program = [ctx.bin("churn"), "--threads", ctx.threads, "--allocs", ctx.allocs]
    names = ["glibc"] + (configs.WITH_PRELOAD if ctx.have_preload else []) + configs.OTHERS
    dumpinfo, stderr = {}, {}
    note("churn: warm-up round, then %d interleaved rounds of: %s" % (ctx.runs, " ".join(names)))
    for c in names:
        log = ctx.t("log." + c)
        run_timed(ctx, log, configs.command(ctx, c, program))
        _after_run(ctx, c, True, log, dumpinfo, stderr)
    times = {c: [] for c in names}
    before = machine_jiffies()
    for r in range(1, ctx.runs + 1):
        for c in names:
            log = ctx.t("log." + c)
            times[c].append(run_timed(ctx, log, configs.command(ctx, c, program)))
            _after_run(ctx, c, False, log, dumpinfo, stderr)
        note("churn: round %d/%d done" % (r, ctx.runs))
    after = machine_jiffies()
    ours = sum(run.cpu for c in names for run in times[c])

    wall_med = {c: stats([t.wall for t in times[c]])[0] for c in names}
    cpu_med = {c: stats([t.cpu for t in times[c]])[0] for c in names}

    out = ["<!-- section:churn -->", "## churn: malloc/free overhead", ""]
    if ctx.quick:
        out += ["**Quick smoke run (--quick): fewer allocations and runs; not figures to quote.**",
                ""]
    out += machine_md(ctx)
    out += load_md(before, after, ours)
    out += text(_METHOD, threads=ctx.threads, allocs=ctx.allocs, runs=ctx.runs)
    wall_paired = {}
    for c in names:
        wm, wl, wh = stats([t.wall for t in times[c]])
        cm, cl, ch = stats([t.cpu for t in times[c]])
        rss = stats([t.rss for t in times[c]])[0]
        pw, pwl, pwh = paired_stats(times[c], times["glibc"], 0)
        pc, pcl, pch = paired_stats(times[c], times["glibc"], 1)
        wall_paired[c] = pw
        wr = ratio(wm, wall_med["glibc"]) + "×"
        cr = ratio(cm, cpu_med["glibc"]) + "×"
        jemalloc_paired = ""
        if c == "jemalloc-prof":
            wr += " (%s× jemalloc)" % ratio(wm, wall_med["jemalloc"])
            cr += " (%s× jemalloc)" % ratio(cm, cpu_med["jemalloc"])
            jw = paired_stats(times[c], times["jemalloc"], 0)[0]
            jc = paired_stats(times[c], times["jemalloc"], 1)[0]
            jemalloc_paired = " (%s× / %s× jemalloc)" % (fmt(jw, 2), fmt(jc, 2))
        out.append(
            "| %s | %s | %s-%s | %s | %s-%s | %s | %s | %s× (%s-%s) | %s× (%s-%s)%s | %s |"
            % (configs.describe(c), fmt(wm), fmt(wl), fmt(wh), fmt(cm), fmt(cl), fmt(ch), wr, cr,
               fmt(pw, 2), fmt(pwl, 2), fmt(pwh, 2), fmt(pc, 2), fmt(pcl, 2), fmt(pch, 2),
               jemalloc_paired, fmt(awk_num(rss / 1024), 1)))
    out.append("")
    if ctx.have_preload:
        # Three decimals, and the verdict on those: 1.051 must not round into "1.05, holds".
        d = fmt(wall_paired["leakscope-default"], 3)
        e = fmt(wall_paired["leakscope-exact"], 3)
        dm = ratio(wall_med["leakscope-default"], wall_med["glibc"], 3)
        em = ratio(wall_med["leakscope-exact"], wall_med["glibc"], 3)
        out += text(_TARGETS, d=d, dm=dm, d5=verdict(d, 1.05), d2=verdict(d, 1.10), e=e, em=em,
                    e5=verdict(e, 2.5), e2=verdict(e, 3))
        for c in configs.WITH_PRELOAD:
            info = dumpinfo.get(c, "").replace("\n", " ")
            if info.endswith(" "):
                info = info[:-1]
            out.append("- %s: %s" % (c, info))
            if c in stderr:
                first = stderr[c][0].rstrip("\n") if stderr[c] else ""
                out.append("  - **stderr was not empty** (the preload must be silent): `%s`"
                           % first)
        out.append("")
    else:
        out += ["**leakscope configurations skipped: `%s` was not built.**" % ctx.preload, ""]
    out += ["Commands (`$TMP` is a temporary directory removed afterwards):", "", "```"]
    out += [ctx.hide_tmp(quote_cmd(configs.command(ctx, c, program))) for c in names]
    out += ["```", "", "<details><summary>Every run: wall s / CPU s</summary>", ""]
    for c in names:
        runs = ", ".join("%.3f/%.3f" % (t.wall, t.cpu) for t in times[c])
        out.append("- %s: %s" % (c, runs))
    out += ["", "</details>", "<!-- end:churn -->"]
    return out

# SPDX-License-Identifier: Apache-2.0
"""trend: the analyzer over 100 dumps of 50 k stacks."""
import os
import re
import shutil
import subprocess

from ..markdown import commands_md, load_md, machine_md, quick_md, sum_cpu, text
from ..measure import BenchError, machine_jiffies, note, quote_cmd, run_timed
from ..stats import awk_num, fmt, stats, verdict

STACKS = 50000
DEPTH = 32

_METHOD = """\
- Input: {ndumps} dumps of one process, {stacks} sites each, {depth} frames per stack
  ({mib} MiB in all), written by `make_scale_dumps` (tests/analyzer): frames drawn from
  a pool of 20,000 addresses in four modules plus a distinct innermost frame per site; one
  site in 100 leaks steadily. The modules do not exist on disk, so symbolization takes its
  cheap path (no ELF or DWARF read): this times reading, matching and ranking.
- Method: one warm-up run (page cache), then {runs} timed; wall and CPU from wait4, peak RSS
  from its ru_maxrss. trend said: "{summary}"

| wall median s | wall min-max s | CPU median s | CPU min-max s | peak RSS MiB |
|---|---|---|---|---|
"""


def _apparent_bytes(path):
    """What `du -sb` says: the apparent size of the directory and everything in it."""
    r = subprocess.run(["du", "-sb", path], stdout=subprocess.PIPE, text=True)
    return int(r.stdout.split()[0])


def run(ctx):
    if ctx.quick:
        ndumps, trend_runs = 20, 1
    else:
        ndumps, trend_runs = 100, 3
    if ctx.runs_given is not None:
        trend_runs = ctx.runs_given
    directory = ctx.t("trend")
    os.makedirs(directory, exist_ok=True)
    note("trend: generating %d dumps of %d stacks" % (ndumps, STACKS))
    gen = [ctx.bin("make_scale_dumps"), directory, str(ndumps), str(STACKS), str(DEPTH)]
    if subprocess.run(gen).returncode != 0:
        raise BenchError("trend: make_scale_dumps failed")
    size = _apparent_bytes(directory)
    command = [ctx.bin("leakscope"), "trend", "-q", directory]
    before = machine_jiffies()
    note("trend: warm-up, then %d run(s)" % trend_runs)
    warmup = [run_timed(ctx, ctx.t("log.trend"), command)]
    runs = [run_timed(ctx, ctx.t("log.trend"), command) for _ in range(trend_runs)]
    after = machine_jiffies()
    summary = ""
    with open(ctx.t("log.trend.out"), errors="replace") as f:
        for line in f:
            if re.match(r"(Leak suspects|No leak suspects)", line):
                summary = line.rstrip("\n")
                break
    shutil.rmtree(directory)

    wm, wl, wh = stats([t.wall for t in runs])
    cm, cl, ch = stats([t.cpu for t in runs])
    rss = stats([t.rss for t in runs])[0]
    out = ["<!-- section:trend -->", "## Analyzer: trend over many large dumps", ""]
    out += quick_md(ctx, "%d dumps instead of 100, %d run(s)" % (ndumps, trend_runs))
    out += machine_md(ctx)
    out += load_md(before, after, sum_cpu(runs, warmup))
    out += text(_METHOD, ndumps=ndumps, stacks=STACKS, depth=DEPTH, mib="%.0f" % (size / 1048576),
                runs=trend_runs, summary=summary or "?")
    out.append("| %s | %s-%s | %s | %s-%s | %s |" % (
        fmt(wm, 2), fmt(wl, 2), fmt(wh, 2), fmt(cm, 2), fmt(cl, 2), fmt(ch, 2),
        fmt(awk_num(rss / 1024), 0)))
    out.append("")
    if ndumps == 100:
        out.append("Target: trend over 100 × 50 k-stack dumps ≤ 10 s: %s s %s."
                   % (fmt(wm, 2), verdict(wm, 10)))
    else:
        out.append("Target (100 dumps ≤ 10 s): not judged, this run read %d dumps." % ndumps)
    out.append("")
    out += commands_md(ctx, [quote_cmd(gen), quote_cmd(command)])
    out.append("<!-- end:trend -->")
    return out

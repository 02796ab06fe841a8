# SPDX-License-Identifier: Apache-2.0
"""dump: time to write a dump of 50 k stacks and 500 k live allocations, and malloc latency
meanwhile."""
import glob
import os
import shutil
import subprocess

from ..markdown import (commands_md, load_md, machine_md, quick_md, skipped_section, sum_cpu,
                        text)
from ..measure import (BenchError, machine_jiffies, note, parse_kv, quote_cmd, run_timed,
                       steal_jiffies)
from ..stats import fmt, stats, verdict

STACKS = 50000
LIVE = 500000

# dump_stall's figures for the latency table, each prefixed "during_" or "outside_".
_LATENCY_KEYS = ("pairs", "median_us", "p99_us", "p999_us", "max_us", "running_max_us",
                 "blocked_pairs", "blocked_max_us", "preempted_pairs", "preempted_max_us")

_METHOD = """\
- Workload: `bench/dump_stall` under the preload with every allocation recorded builds
  {stacks} distinct call stacks ({frames} frames each: paths through a table
  of 16 functions, four calls deep, under 20 frames of recursion) holding {live} live blocks
  of 32 B, then requests {dumps} dumps one after another through the trigger file, in each of
  {runs} run(s). Meanwhile a second thread times malloc(32)+free pairs (clock_gettime
  around each), every pair into a histogram for "during a dump" or "outside".
- Timing method: the dumper creates `.leakscope.<pid>.<seq>.dump.tmp` just before building a
  dump and renames it when written; an inotify watch sees both (read every 50 µs by the
  latency thread, outside its timed pairs). Wall = rename seen − creation seen, so the 1 s
  trigger polling is not in it (±50 µs). CPU = the dumper thread's own CPU clock
  (clock_gettime on its per-thread clock) before the trigger and after the rename: the dump's
  work whatever the scheduler did, plus one trigger poll.
- Stall classes: a pair slower than 5 µs is classed by the latency thread's context switches
  (getrusage RUSAGE_THREAD) meanwhile: *running* (no switch: work, page faults, spinning),
  *blocked* (voluntary switch: a lock, I/O), *preempted* (involuntary: the scheduler ran
  another thread on its CPU). The recorder can cause the first two; on a loaded 2-CPU
  machine with the dumper, this thread and other processes competing, the third is noise.
  So is hypervisor steal, which looks like running: {steal} CPU-seconds were stolen from
  this VM during these runs.
- The dump: {sites} sites, {live_count} live allocations,
  {mib} MiB on disk; dropped: {dropped_live} live, {dropped_stacks} stacks.

| per dump | median | min-max |
|---|---|---|
| wall ms (temporary created → renamed) | {wm} | {wl}-{wh} |
| dumper CPU ms | {cm} | {cl}-{ch} |

"""

_SWITCHES = """\
Where wall exceeds CPU, the dumper thread was off its CPU: over the {dumps} dumps it
switched out {invol} times involuntarily (preempted) and {vol} times voluntarily (waits; its
trigger-poll sleeps, one or two per dump, are among these).

malloc(32)+free latency in the other thread, per run (µs; every allocation is recorded, so each
pair includes an unwind, an intern and a live-table insert and take):

| run | when | pairs | median | p99 | p99.9 | max | max running | blocked: pairs, max \
| preempted: pairs, max |
|---|---|---|---|---|---|---|---|---|---|
"""

_TARGETS = """\

Targets:

- dump of 50 k stacks ≤ 100 ms: wall median {wm} ms {wv} (CPU median {cm} ms {cv})
- longest malloc stall during a dump ≤ 1 ms: the longest the recorder could have caused \
(running or blocked) was {own} µs, {ov}; the longest of all, preemption included, {raw} µs, {rv}

Build phase, as a by-product: {ns} ns per recorded allocation at
{frames} frames (unwind, intern of a new stack every tenth, insert; run 1).

"""


def _numbers(lists):
    """The numbers of comma-separated lists, without empty or NaN entries."""
    values = []
    for text in lists:
        for item in text.split(","):
            item = item.strip()
            if item and "nan" not in item.lower():
                values.append(float(item))
    return values


def _worst(kvs, key):
    """The largest value of key over all runs (0 when none has it)."""
    m = 0.0
    for kv in kvs:
        try:
            m = max(m, float(kv.get(key, "")))
        except ValueError:
            pass
    return m


def run(ctx):
    if not ctx.have_preload:
        return skipped_section("dump", "Dump cost", "`%s` was not built." % ctx.preload)
    if ctx.quick:
        dump_runs, dumps, settle = 1, 2, 300
    else:
        dump_runs, dumps, settle = 3, 5, 1000
    if ctx.runs_given is not None:
        dump_runs = ctx.runs_given
    before = machine_jiffies()
    steal0 = steal_jiffies()
    command = ["env"] + ctx.leakscope_env() + [
        "LEAKSCOPE_SAMPLE_BYTES=1", "LEAKSCOPE_MAX_LIVE=1M", ctx.bin("dump_stall"), "--stacks",
        str(STACKS), "--live", str(LIVE), "--dumps", str(dumps), "--settle-ms", str(settle)]
    runs, kvs, info = [], [], {}
    for r in range(1, dump_runs + 1):
        note("dump: run %d/%d (%d dumps)" % (r, dump_runs, dumps))
        shutil.rmtree(ctx.dumps)
        os.mkdir(ctx.dumps)
        runs.append(run_timed(ctx, ctx.t("log.dump"), command))
        with open(ctx.t("log.dump.out")) as f:
            kvs.append(parse_kv(f.read()))
        if r == 1:
            first = sorted(glob.glob(os.path.join(ctx.dumps, "leakscope.*.0.dump")))
            if not first:
                raise BenchError("dump: no dump written")
            d = subprocess.run([ctx.bin("dump_memory"), first[0]], stdout=subprocess.PIPE,
                               text=True)
            if d.returncode != 0:
                raise BenchError("dump: cannot read " + first[0])
            info = parse_kv(d.stdout)
            info["file_bytes"] = str(os.path.getsize(first[0]))
    after = machine_jiffies()
    steal1 = steal_jiffies()

    wm, wl, wh = stats(_numbers(kv.get("dump_wall_ms", "") for kv in kvs))
    cm, cl, ch = stats(_numbers(kv.get("dump_cpu_ms", "") for kv in kvs))
    own_max = max(_worst(kvs, "during_running_max_us"), _worst(kvs, "during_blocked_max_us"))
    raw_max = _worst(kvs, "during_max_us")
    first_kv = kvs[0]
    hz = os.sysconf("SC_CLK_TCK")
    out = ["<!-- section:dump -->", "## Dump cost and malloc latency during a dump", ""]
    out += quick_md(ctx, "%d run(s) of %d dumps" % (dump_runs, dumps))
    out += machine_md(ctx)
    out += load_md(before, after, sum_cpu(runs))
    out += text(_METHOD, stacks=STACKS, frames=first_kv.get("stack_frames_at_leaf_malloc", ""),
                live=LIVE, dumps=dumps, runs=dump_runs, steal="%.2f" % ((steal1 - steal0) / hz),
                sites=info.get("sites", ""), live_count=info.get("live_count", ""),
                mib="%.1f" % (int(info["file_bytes"]) / 1048576),
                dropped_live=info.get("dropped_live_full", ""),
                dropped_stacks=info.get("dropped_stack_full", ""), wm=fmt(wm, 1), wl=fmt(wl, 1),
                wh=fmt(wh, 1), cm=fmt(cm, 1), cl=fmt(cl, 1), ch=fmt(ch, 1))
    vol = sum(int(kv.get("dumper_voluntary_switches", "0") or 0) for kv in kvs)
    invol = sum(int(kv.get("dumper_involuntary_switches", "0") or 0) for kv in kvs)
    out += text(_SWITCHES, dumps=dump_runs * dumps, invol=invol, vol=vol)
    for r, kv in enumerate(kvs, 1):
        for w in ("during", "outside"):
            row = [kv.get("%s_%s" % (w, key), "") for key in _LATENCY_KEYS]
            out.append("| %d | %s (%s s) | %s | %s | %s | %s | %s | %s | %s, %s | %s, %s |"
                       % tuple([r, w, fmt(kv.get(w + "_seconds", ""), 2)] + row))
    out += text(_TARGETS, wm=fmt(wm, 1), wv=verdict(wm, 100), cm=fmt(cm, 1), cv=verdict(cm, 100),
                own=fmt(own_max, 1), ov=verdict(own_max, 1000), raw=fmt(raw_max, 1),
                rv=verdict(raw_max, 1000), ns=first_kv.get("build_ns_per_allocation", ""),
                frames=first_kv.get("stack_frames_at_leaf_malloc", ""))
    out += commands_md(ctx, [quote_cmd(command)])
    out += ["", "<details><summary>Every dump: wall ms / CPU ms</summary>", ""]
    for r, kv in enumerate(kvs, 1):
        walls = kv.get("dump_wall_ms", "").replace(",", ", ")
        cpus = kv.get("dump_cpu_ms", "").replace(",", ", ")
        out.append("- run %d: wall %s; CPU %s" % (r, walls, cpus))
    out += ["", "</details>", "<!-- end:dump -->"]
    return out

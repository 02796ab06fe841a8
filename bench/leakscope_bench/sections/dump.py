"""dump: time to write a dump of 50 k stacks and 500 k live allocations; malloc latency meanwhile."""
import glob
import os
import shutil
import subprocess

from ..markdown import commands_md, load_md, machine_md, quick_md, skipped_section, sum_cpu
from ..measure import (BenchError, machine_jiffies, note, parse_kv, quote_cmd, run_timed,
                       steal_jiffies)
from ..stats import fmt, stats, verdict

STACKS = 50000
LIVE = 500000


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
            d = subprocess.run([ctx.bin("dump_memory"), first[0]], stdout=subprocess.PIPE, text=True)
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
    out += [
        "- Workload: `bench/dump_stall` under the preload with every allocation recorded builds",
        "  %d distinct call stacks (%s frames each: paths through a table"
        % (STACKS, first_kv.get("stack_frames_at_leaf_malloc", "")),
        "  of 16 functions, four calls deep, under 20 frames of recursion) holding %d live blocks" % LIVE,
        "  of 32 B, then requests %d dumps one after another through the trigger file, in each of" % dumps,
        "  %d run(s). Meanwhile a second thread times malloc(32)+free pairs (clock_gettime" % dump_runs,
        "  around each), every pair into a histogram for \"during a dump\" or \"outside\".",
        "- Timing method: the dumper creates `.leakscope.<pid>.<seq>.dump.tmp` just before building a",
        "  dump and renames it when written; an inotify watch sees both (read every 50 µs by the",
        "  latency thread, outside its timed pairs). Wall = rename seen − creation seen, so the 1 s",
        "  trigger polling is not in it (±50 µs). CPU = the dumper thread's own CPU clock",
        "  (clock_gettime on its per-thread clock) before the trigger and after the rename: the dump's",
        "  work whatever the scheduler did, plus one trigger poll.",
        "- Stall classes: a pair slower than 5 µs is classed by the latency thread's context switches",
        "  (getrusage RUSAGE_THREAD) meanwhile: *running* (no switch: work, page faults, spinning),",
        "  *blocked* (voluntary switch: a lock, I/O), *preempted* (involuntary: the scheduler ran",
        "  another thread on its CPU). The recorder can cause the first two; on a loaded 2-CPU",
        "  machine with the dumper, this thread and other processes competing, the third is noise.",
        "  So is hypervisor steal, which looks like running: %.2f CPU-seconds were stolen from"
        % ((steal1 - steal0) / hz),
        "  this VM during these runs.",
        "- The dump: %s sites, %s live allocations," % (info.get("sites", ""), info.get("live_count", "")),
        "  %.1f MiB on disk; dropped: %s live, %s stacks."
        % (int(info["file_bytes"]) / 1048576, info.get("dropped_live_full", ""),
           info.get("dropped_stack_full", "")),
        "",
        "| per dump | median | min-max |",
        "|---|---|---|",
        "| wall ms (temporary created → renamed) | %s | %s-%s |" % (fmt(wm, 1), fmt(wl, 1), fmt(wh, 1)),
        "| dumper CPU ms | %s | %s-%s |" % (fmt(cm, 1), fmt(cl, 1), fmt(ch, 1)),
        "",
    ]
    vol = sum(int(kv.get("dumper_voluntary_switches", "0") or 0) for kv in kvs)
    invol = sum(int(kv.get("dumper_involuntary_switches", "0") or 0) for kv in kvs)
    out += [
        "Where wall exceeds CPU, the dumper thread was off its CPU: over the %d dumps it" % (dump_runs * dumps),
        "switched out %d times involuntarily (preempted) and %d times voluntarily (waits; its" % (invol, vol),
        "trigger-poll sleeps, one or two per dump, are among these).",
        "",
        "malloc(32)+free latency in the other thread, per run (µs; every allocation is recorded, so each",
        "pair includes an unwind, an intern and a live-table insert and take):",
        "",
        "| run | when | pairs | median | p99 | p99.9 | max | max running | blocked: pairs, max | preempted: pairs, max |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, kv in enumerate(kvs, 1):
        for w in ("during", "outside"):
            g = lambda key: kv.get("%s_%s" % (w, key), "")  # noqa: E731
            out.append("| %d | %s (%s s) | %s | %s | %s | %s | %s | %s | %s, %s | %s, %s |" % (
                r, w, fmt(g("seconds"), 2), g("pairs"), g("median_us"), g("p99_us"), g("p999_us"),
                g("max_us"), g("running_max_us"), g("blocked_pairs"), g("blocked_max_us"),
                g("preempted_pairs"), g("preempted_max_us")))
    out += [
        "",
        "Targets:",
        "",
        "- dump of 50 k stacks ≤ 100 ms: wall median %s ms %s (CPU median %s ms %s)"
        % (fmt(wm, 1), verdict(wm, 100), fmt(cm, 1), verdict(cm, 100)),
        "- longest malloc stall during a dump ≤ 1 ms: the longest the recorder could have caused"
        " (running or blocked) was %s µs, %s; the longest of all, preemption included, %s µs, %s"
        % (fmt(own_max, 1), verdict(own_max, 1000), fmt(raw_max, 1), verdict(raw_max, 1000)),
        "",
        "Build phase, as a by-product: %s ns per recorded allocation at"
        % first_kv.get("build_ns_per_allocation", ""),
        "%s frames (unwind, intern of a new stack every tenth, insert; run 1)."
        % first_kv.get("stack_frames_at_leaf_malloc", ""),
        "",
    ]
    out += commands_md(ctx, [quote_cmd(command)])
    out += ["", "<details><summary>Every dump: wall ms / CPU ms</summary>", ""]
    for r, kv in enumerate(kvs, 1):
        out.append("- run %d: wall %s; CPU %s" % (r, kv.get("dump_wall_ms", "").replace(",", ", "),
                                                  kv.get("dump_cpu_ms", "").replace(",", ", ")))
    out += ["", "</details>", "<!-- end:dump -->"]
    return out

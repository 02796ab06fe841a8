# SPDX-License-Identifier: Apache-2.0
"""micro: the recorder's pieces (Google Benchmark) and malloc+free pairs end to end."""
import json
import re

from ..markdown import (commands_md, dpkg_version, load_md, machine_md, quick_md, sum_cpu,
                        text)
from ..measure import BenchError, clear_dir, machine_jiffies, note, quote_cmd, run_timed
from ..stats import awk_num, fmt, stats, verdict

_DESCRIPTIONS = [
    ("BM_Countdown",
     "sampler countdown per allocation (hot_path.h ShouldSample; crossings redraw)"),
    ("BM_NextInterval", "drawing the next sampling interval (once per sample)"),
    ("BM_MaybeContainsHot", "free() filter check, 4096 addresses in 256 KiB of heap"),
    ("BM_MaybeContainsCold", "free() filter check, random addresses over the filter's 1 GiB"),
    ("BM_InsertTake/busy:0", "live table Insert + Take, empty default-size table"),
    ("BM_InsertTake/busy:1", "live table Insert + Take, 200 k other entries"),
    ("BM_InternHit/", "StackTable::Intern, known stack of {d} frames (1024 cycled)"),
    ("BM_InternMiss/", "StackTable::Intern, new stack of {d} frames"),
    ("BM_Walk/", "WalkStack of {d} frames, frame shapes cached (the recorder's walk)"),
    ("BM_Unwind/", "unw_backtrace of {d} frames (the fallback)"),
    ("BM_SampledPath/", "WalkStack + intern (hit) + insert + take, {d} frames"),
    ("BM_SampledPathLibunwind/", "unw_backtrace + intern (hit) + insert + take, {d} frames"),
]

_PIECES = """\
- Google Benchmark {gbench}; the library
  reports itself built as "{library_type}", which only slows its own harness, not the code timed.

### The pieces (`bench/recorder_micro`)

The recorder's tables, sampler and stack walk (`preload/unwind/stack_walker.h` with its
frame-shape cache) from `leakscope_recorder_unwind` and `leakscope_recorder_core`, and libunwind
(per-thread cache). {reps} repetition(s) of each; CPU time per operation (the wall column shows
how much the machine's other load stretched it).

| benchmark | what it times | CPU ns median | CPU ns min-max | wall ns median | note |
|---|---|---|---|---|---|
"""

_WALKS = """\

On the sampled path the recorder walks the stack with `WalkStack` (`Walk`, `SampledPath`);
libunwind (`Unwind`, `SampledPathLibunwind`) is its fallback, for stacks with a frame the
walk cannot step (JIT code without unwind data, signal frames, unusual unwind rules).

| frames | `Walk` CPU ns | `Unwind` CPU ns | saved, ns | `SampledPath` CPU ns \
| `SampledPathLibunwind` CPU ns | saved, ns |
|---|---|---|---|---|---|---|
"""

_PAIRS = """\

### malloc+free pairs end to end (`bench/malloc_pairs`)

Each run times {batches} batches of malloc(32)+free pairs in a tight loop and reports the
median batch's ns per pair; one warm-up round, then {runs} rounds of the configurations
interleaved. Unsampled: {pairs} pairs a batch under the preload with
`LEAKSCOPE_SAMPLE_BYTES=1G` (expected samples in a run: well under one), against plain glibc.
Sampled: {sampled_pairs} pairs a batch with `LEAKSCOPE_SAMPLE_BYTES=1`, so every malloc
unwinds, interns (a hit after the first) and inserts, and every free takes the entry out;
the stack at the malloc call is 8, 32 or 64 frames deep in all (main and libc's start-up
frames included; checked against the recorded stacks). A pair of one size is glibc's
cheapest path (its thread cache), so the recorder's share is as large here as it gets.

| configuration | ns per pair median | min-max | minus plain, ns |
|---|---|---|---|
"""


def describe(name):
    """What a recorder_micro benchmark times; names ending in "/" match as prefixes."""
    m = re.search(r"/depth:([0-9]*)", name)
    depth = m.group(1) if m else ""
    for key, text in _DESCRIPTIONS:
        if name == key or (key.endswith("/") and name.startswith(key)):
            return text.format(d=depth)
    return ""


def _number_text(x):
    """A JSON number as jq printed it into the table (whole numbers without a fraction)."""
    if isinstance(x, float) and x == int(x):
        return str(int(x))
    return str(x)


def _pieces(text):
    """Per benchmark, in first-seen order: (name, CPU ns median, "min-max", wall ns median,
    note), from Google Benchmark's JSON."""
    try:
        data = json.loads(text)
        rows = [b for b in data["benchmarks"] if b.get("run_type") == "iteration"]
    except (ValueError, KeyError, TypeError):
        raise BenchError("micro: cannot read recorder_micro's JSON")
    scale = {"us": 1000, "ms": 1e6}
    order, cpu, wall, frames, err = [], {}, {}, {}, {}
    for b in rows:
        name = b["run_name"]
        if name not in cpu:
            order.append(name)
            cpu[name], wall[name] = [], []
        s = scale.get(b.get("time_unit"), 1)
        # Six significant digits, as awk kept each value in its list.
        cpu[name].append(float(awk_num(b["cpu_time"] * s)))
        wall[name].append(float(awk_num(b["real_time"] * s)))
        if b.get("frames") is not None:
            frames[name] = _number_text(b["frames"])
        if b.get("error_occurred"):
            err[name] = b.get("error_message") or "error"
    out = []
    for name in order:
        if name in err:
            note_text = "**error: %s**" % err[name]
        elif name in frames:
            note_text = "walked %s frames" % frames[name]
        else:
            note_text = ""
        c = sorted(cpu[name])
        out.append((name, "%.1f" % _median(c), "%.1f-%.1f" % (c[0], c[-1]),
                    "%.1f" % _median(sorted(wall[name])), note_text))
    return out


def _median(v):
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def _saving(a, b):
    return "-" if "-" in (a, b) else "%.1f" % (float(b) - float(a))


def _pairs_command(ctx, config, p):
    program = ctx.bin("malloc_pairs")
    ls_env = ["env"] + ctx.leakscope_env()
    if config == "plain":
        return [program, "--pairs", str(p["pairs"]), "--batches", str(p["batches"])]
    if config == "unsampled":
        return ls_env + ["LEAKSCOPE_SAMPLE_BYTES=1G", program, "--pairs", str(p["pairs"]),
                         "--batches", str(p["batches"])]
    return ls_env + ["LEAKSCOPE_SAMPLE_BYTES=1", program, "--pairs", str(p["sampled_pairs"]),
                     "--batches", str(p["batches"]), "--depth", config[len("sampled-"):]]


def _label(config):
    if config == "plain":
        return "plain glibc"
    if config == "unsampled":
        return "leakscope, nothing sampled (1G)"
    return "leakscope, every allocation sampled, %s frames" % config[len("sampled-"):]


def run(ctx):
    if ctx.quick:
        reps, min_time = 1, "0.05"
        p = {"pairs": 2000000, "batches": 3, "sampled_pairs": 100000}
    else:
        reps, min_time = 5, "0.5"
        p = {"pairs": 20000000, "batches": 5, "sampled_pairs": 500000}
    before = machine_jiffies()

    # 1. The pieces.
    note("micro: recorder_micro, %d repetition(s)" % reps)
    gb = [ctx.bin("recorder_micro"), "--benchmark_format=json",
          "--benchmark_repetitions=%d" % reps, "--benchmark_min_time=" + min_time]
    micro_run = run_timed(ctx, ctx.t("log.micro"), gb)
    with open(ctx.t("log.micro.out")) as f:
        gb_text = f.read()
    pieces = _pieces(gb_text)
    try:
        library_type = json.loads(gb_text).get("context", {}).get("library_build_type") or "?"
    except ValueError:
        library_type = "?"

    # 2. End to end, interleaved.
    names = ["plain"] + (["unsampled", "sampled-8", "sampled-32", "sampled-64"]
                         if ctx.have_preload else [])
    note("micro: malloc_pairs warm-up, then %d interleaved rounds of: %s"
         % (ctx.runs, " ".join(names)))
    runs, ns = [], {c: [] for c in names}
    for r in range(ctx.runs + 1):
        for c in names:
            runs.append(run_timed(ctx, ctx.t("log.pairs"), _pairs_command(ctx, c, p)))
            if r > 0:
                with open(ctx.t("log.pairs.out")) as f:
                    for line in f:
                        m = re.match(r"ns_per_pair=([0-9.]*)", line)
                        if m:
                            ns[c].append(m.group(1))
            clear_dir(ctx.dumps)
        if r > 0:
            note("micro: round %d/%d done" % (r, ctx.runs))
    after = machine_jiffies()
    med, lo, hi = {}, {}, {}
    for c in names:
        med[c], lo[c], hi[c] = stats([float(x) for x in ns[c]])

    out = ["<!-- section:micro -->",
           "## Recorder cost in isolation, and per malloc+free end to end", ""]
    out += quick_md(ctx, "one repetition of each micro-benchmark, fewer pairs and runs")
    out += machine_md(ctx)
    out += load_md(before, after, sum_cpu([micro_run], runs))
    out += text(_PIECES, gbench=dpkg_version("libbenchmark-dev"), library_type=library_type,
                reps=reps)
    for name, cm, span, wm, note_text in pieces:
        out.append("| `%s` | %s | %s | %s | %s | %s |"
                   % (name, describe(name), cm, span, wm, note_text))
    # The CPU ns median of one benchmark, "-" if missing or failed.
    medians = {name: cm for name, cm, _, _, note_text in pieces if "error" not in note_text}
    out += text(_WALKS)
    for depth in (8, 32, 64):
        walk, unwind, sampled, sampled_lu = (
            medians.get("BM_%s/depth:%d" % (b, depth), "-")
            for b in ("Walk", "Unwind", "SampledPath", "SampledPathLibunwind"))
        out.append("| %d | %s | %s | %s | %s | %s | %s |" % (
            depth, walk, unwind, _saving(walk, unwind), sampled, sampled_lu,
            _saving(sampled, sampled_lu)))
    out += text(_PAIRS, batches=p["batches"], runs=ctx.runs, pairs=p["pairs"],
                sampled_pairs=p["sampled_pairs"])
    for c in names:
        diff = "-" if c == "plain" else "%.1f" % (med[c] - med["plain"])
        out.append("| %s | %s | %s-%s | %s |"
                   % (_label(c), fmt(med[c], 2), fmt(lo[c], 2), fmt(hi[c], 2), diff))
    out.append("")
    if ctx.have_preload:
        over = "%.2f" % (med["unsampled"] - med["plain"])
        out += ["Target: unsampled malloc+free overhead %s ns per pair: issue 5 (≤ 5 ns) %s."
                % (over, verdict(over, 5)),
                "A sampled allocation and its free cost the \"minus plain\" figure of the sampled"
                " rows."]
    else:
        out.append("**leakscope configurations skipped: `%s` was not built.**" % ctx.preload)
    out.append("")
    commands = [gb] + [_pairs_command(ctx, c, p) for c in names]
    out += commands_md(ctx, [quote_cmd(c) for c in commands])
    out += ["", "<details><summary>Every run: ns per pair</summary>", ""]
    for c in names:
        out.append("- %s: %s" % (c, ", ".join(ns[c])))
    out += ["", "</details>", "<!-- end:micro -->"]
    return out

# SPDX-License-Identifier: Apache-2.0
"""fleet: `leakscope trend` over a fleet of JVM executors (issue 19), against one executor."""
import os
import re
import shutil
import subprocess
import time

from ..markdown import commands_md, load_md, machine_md, quick_md, sum_cpu, text
from ..measure import BenchError, machine_jiffies, note, quote_cmd, run_timed
from ..stats import awk_num, fmt, stats, verdict

PROCESSES = 200
SITES = 2000
FULL_DUMPS = 288  # a day of dumps 5 minutes apart
# Dumps per executor measured: the fleet must stay in the page cache, or this times the disk
# (a full day, 200 x 288 dumps of ~0.67 MB, is ~38 GB: more than this machine's memory).
DUMPS = 36

_METHOD = """\
- Input: {processes} executors x {dumps} dumps (5 minutes apart) x {sites} sites, {gib} GiB in
  all, written by `make_fleet_dumps` (tests/analyzer) in {gen_s} s: JVM-shaped stacks (the
  recorder's hook, libjvm, 1-4 frames of libjvm/libzip/libnio/libjava, JVM code, 6-13 Java frames
  from 1,500 methods named by kJavaMethod records in every dump), the same sites in every
  executor at its own module addresses; one site in 100 leaks in every fourth executor. The
  modules do not exist on disk (symbolization takes its cheap path): this times reading,
  matching and ranking, from the page cache. The full day ({full_processes} x {full_dumps} dumps)
  is about {full_gib} GiB, more than this machine's {mem_gib} GiB of memory: it is measured
  below, whole and mostly from the disk, and also projected from the page-cache figures. The same
  executors with a quarter of the dumps show how time and memory grow with the dumps: time in
  proportion, memory not (trend holds the sites, not the dumps).
- Method: `trend --jobs {jobs}` (one worker per core); one warm-up run (page cache), then {runs}
  timed of the fleet, of the quarter fleet, of the fleet's first executor alone and of `html`
  over the fleet (the page keeps one point per dump, so its memory grows with the dumps), interleaved;
  wall and CPU from wait4, peak RSS from its ru_maxrss. trend said: "{summary}"

| input | dumps | wall median s | wall min-max s | CPU median s | peak RSS MiB |
|---|---|---|---|---|---|
"""


def _apparent_bytes(path):
    r = subprocess.run(["du", "-sb", path], stdout=subprocess.PIPE, text=True)
    return int(r.stdout.split()[0])


def _mem_total_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


_DAY = """\
The full day, measured: {processes} executors x {dumps} dumps, {gib} GiB written by
`make_fleet_dumps` in {gen_s} s, more than the page cache holds ({mem_gib} GiB of memory), so
most dumps come from the disk, as they would after `yarn logs`. `trend --jobs {jobs}`, {runs}
run(s) one after the other:

| input | dumps | wall median s | wall min-max s | CPU median s | peak RSS MiB |
|---|---|---|---|---|---|
| full day | {count} | {wall} | {wall_min}-{wall_max} | {cpu} | {rss} |

Target: {processes} x {dumps} dumps in at most 60 s and 2 GiB: {wall} s wall {wall_verdict},
peak RSS {rss} MiB {rss_verdict}.

"""


def _measure_full_day(ctx, jobs, runs, expected_bytes):
    """The whole day of dumps, read by trend; None (with a note) when the disk lacks room."""
    directory = ctx.t("fleet-day")
    os.makedirs(directory, exist_ok=True)
    if _free_bytes(directory) < expected_bytes * 1.2:
        note("fleet: %.0f GiB free, the full day needs %.0f GiB: not measured" %
             (_free_bytes(directory) / 2**30, expected_bytes / 2**30))
        return ["The full day was not measured: %.0f GiB free where it needs %.0f GiB." %
                (_free_bytes(directory) / 2**30, expected_bytes / 2**30), ""]
    note("fleet: generating the full day, %d executors x %d dumps" % (PROCESSES, FULL_DUMPS))
    gen = [ctx.bin("make_fleet_dumps"), directory, str(PROCESSES), str(FULL_DUMPS), str(SITES)]
    started = time.monotonic()
    if subprocess.run(gen).returncode != 0:
        shutil.rmtree(directory)
        raise BenchError("fleet: make_fleet_dumps failed")
    gen_s = time.monotonic() - started
    size = _apparent_bytes(directory)
    cmd = [ctx.bin("leakscope"), "trend", "-q", "--jobs", str(jobs), directory]
    note("fleet: %d run(s) over the full day" % runs)
    day_runs = [run_timed(ctx, ctx.t("log.fleetday"), cmd) for _ in range(runs)]
    shutil.rmtree(directory)
    w = stats([t.wall for t in day_runs])
    c = stats([t.cpu for t in day_runs])
    rss = max(t.rss for t in day_runs) / 1024
    return text(_DAY, processes=PROCESSES, dumps=FULL_DUMPS, gib="%.1f" % (size / 2**30),
                gen_s="%.0f" % gen_s, mem_gib="%.1f" % (_mem_total_bytes() / 2**30), jobs=jobs,
                runs=runs, count=PROCESSES * FULL_DUMPS, wall=fmt(w[0], 1), wall_min=fmt(w[1], 1),
                wall_max=fmt(w[2], 1), cpu=fmt(c[0], 1), rss=fmt(awk_num(rss), 0),
                wall_verdict=verdict(w[0], 60), rss_verdict=verdict(rss, 2048)) + \
        ["```", quote_cmd(gen), quote_cmd(cmd), "```", ""]


def run(ctx):
    if ctx.quick:
        processes, dumps, runs = 20, 12, 1
    else:
        processes, dumps, runs = PROCESSES, DUMPS, 3
    if ctx.runs_given is not None:
        runs = ctx.runs_given
    jobs = os.cpu_count() or 1
    directory = ctx.t("fleet")
    os.makedirs(directory, exist_ok=True)
    note("fleet: generating %d executors x %d dumps x %d sites" % (processes, dumps, SITES))
    gen = [ctx.bin("make_fleet_dumps"), directory, str(processes), str(dumps), str(SITES)]
    started = time.monotonic()
    if subprocess.run(gen).returncode != 0:
        raise BenchError("fleet: make_fleet_dumps failed")
    gen_s = time.monotonic() - started
    size = _apparent_bytes(directory)
    quarter = ctx.t("fleet-quarter")
    os.makedirs(quarter, exist_ok=True)
    gen_quarter = [ctx.bin("make_fleet_dumps"), quarter, str(processes), str(dumps // 4),
                   str(SITES)]
    if subprocess.run(gen_quarter).returncode != 0:
        raise BenchError("fleet: make_fleet_dumps failed")
    fleet_cmd = [ctx.bin("leakscope"), "trend", "-q", "--jobs", str(jobs), directory]
    quarter_cmd = [ctx.bin("leakscope"), "trend", "-q", "--jobs", str(jobs), quarter]
    one_cmd = [ctx.bin("leakscope"), "trend", "-q", "--jobs", str(jobs),
               os.path.join(directory, "executor-1")]
    before = machine_jiffies()
    note("fleet: warm-up, then %d run(s) of the fleet and of one executor" % runs)
    warmup = [run_timed(ctx, ctx.t("log.fleet"), fleet_cmd)]
    html_cmd = [ctx.bin("leakscope"), "html", "-q", "--jobs", str(jobs), "-o",
                ctx.t("fleet.html"), directory]
    fleet_runs, quarter_runs, one_runs, html_runs = [], [], [], []
    for _ in range(runs):  # interleaved, so that a change of load hits all alike
        fleet_runs.append(run_timed(ctx, ctx.t("log.fleet"), fleet_cmd))
        quarter_runs.append(run_timed(ctx, ctx.t("log.fleetq"), quarter_cmd))
        one_runs.append(run_timed(ctx, ctx.t("log.fleet1"), one_cmd))
        html_runs.append(run_timed(ctx, ctx.t("log.fleethtml"), html_cmd))
    after = machine_jiffies()
    summary = ""
    with open(ctx.t("log.fleet.out"), errors="replace") as f:
        for line in f:
            if re.match(r"(Leak suspects|No leak suspects)", line):
                summary = line.rstrip("\n")
                break
    shutil.rmtree(directory)
    shutil.rmtree(quarter)
    day = None if ctx.quick else _measure_full_day(ctx, jobs, runs, size * FULL_DUMPS / dumps)

    fw = stats([t.wall for t in fleet_runs])
    fc = stats([t.cpu for t in fleet_runs])
    frss = max(t.rss for t in fleet_runs)
    qw = stats([t.wall for t in quarter_runs])
    qc = stats([t.cpu for t in quarter_runs])
    qrss = max(t.rss for t in quarter_runs)
    ow = stats([t.wall for t in one_runs])
    oc = stats([t.cpu for t in one_runs])
    orss = max(t.rss for t in one_runs)
    hw = stats([t.wall for t in html_runs])
    hc = stats([t.cpu for t in html_runs])
    hrss = max(t.rss for t in html_runs)
    scale = FULL_DUMPS / dumps * PROCESSES / processes
    # The day projected from what each further dump costs (between the quarter fleet and the
    # fleet): the first dump of each executor costs more (its sites are symbolized then).
    extra = (FULL_DUMPS - dumps) / (dumps - dumps // 4)
    projected = fw[0] + (fw[0] - qw[0]) * extra
    projected_cpu = fc[0] + (fc[0] - qc[0]) * extra
    out = ["<!-- section:fleet -->", "## Analyzer: trend over a fleet of executors", ""]
    out += quick_md(ctx, "%d executors x %d dumps, %d run(s)" % (processes, dumps, runs))
    out += machine_md(ctx)
    out += load_md(before, after, sum_cpu(fleet_runs + quarter_runs + one_runs + html_runs, warmup))
    out += text(_METHOD, processes=processes, dumps=dumps, sites=SITES,
                gib="%.1f" % (size / 2**30), gen_s="%.0f" % gen_s,
                full_processes=PROCESSES, full_dumps=FULL_DUMPS,
                full_gib="%.0f" % (size * scale / 2**30),
                mem_gib="%.1f" % (_mem_total_bytes() / 2**30), jobs=jobs, runs=runs,
                summary=summary or "?")
    out.append("| fleet | %d | %s | %s-%s | %s | %s |" % (
        processes * dumps, fmt(fw[0], 2), fmt(fw[1], 2), fmt(fw[2], 2), fmt(fc[0], 2),
        fmt(awk_num(frss / 1024), 0)))
    out.append("| quarter fleet | %d | %s | %s-%s | %s | %s |" % (
        processes * (dumps // 4), fmt(qw[0], 2), fmt(qw[1], 2), fmt(qw[2], 2), fmt(qc[0], 2),
        fmt(awk_num(qrss / 1024), 0)))
    out.append("| one executor | %d | %s | %s-%s | %s | %s |" % (
        dumps, fmt(ow[0], 2), fmt(ow[1], 2), fmt(ow[2], 2), fmt(oc[0], 2),
        fmt(awk_num(orss / 1024), 0)))
    out.append("| fleet, `html` | %d | %s | %s-%s | %s | %s |" % (
        processes * dumps, fmt(hw[0], 2), fmt(hw[1], 2), fmt(hw[2], 2), fmt(hc[0], 2),
        fmt(awk_num(hrss / 1024), 0)))
    out.append("")
    out.append("Fleet / one executor: %s x the wall time for %d x the dumps (%s x the CPU)."
               % (fmt(fw[0] / ow[0], 1) if ow[0] > 0 else "?", processes,
                  fmt(fc[0] / oc[0], 1) if oc[0] > 0 else "?"))
    out.append("")
    if day is not None:
        out += day
    if not ctx.quick:
        out.append("The day (%d x %d dumps; target 60 s and 2 GiB) projected from the fleet and "
                   "the quarter fleet (each further dump costs what it cost between them): "
                   "%s s wall %s, with %s CPU-seconds (%s s on %d idle cores if the workers "
                   "kept them busy: an estimate, not a measurement); peak RSS %s MiB %s (%s MiB "
                   "with a quarter of the dumps)."
                   % (PROCESSES, FULL_DUMPS, fmt(projected, 0), verdict(projected, 60),
                      fmt(projected_cpu, 0), fmt(projected_cpu / jobs, 0), jobs,
                      fmt(awk_num(frss / 1024), 0), verdict(frss / 1024, 2048),
                      fmt(awk_num(qrss / 1024), 0)))
    else:
        out.append("Target (200 x 288 dumps in 60 s, 2 GiB): not judged on a quick run.")
    out.append("")
    out += commands_md(ctx, [quote_cmd(gen), quote_cmd(gen_quarter), quote_cmd(fleet_cmd),
                             quote_cmd(quarter_cmd), quote_cmd(one_cmd), quote_cmd(html_cmd)])
    out.append("<!-- end:fleet -->")
    return out

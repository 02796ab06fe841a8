# SPDX-License-Identifier: Apache-2.0
"""memory: the recorder's own reserved and resident bytes per live sampled allocation."""
import os
import shutil
import subprocess

from ..markdown import machine_md, text
from ..measure import BenchError, first_dump, note, parse_kv, quote_cmd, run_timed

COUNTS = [0, 10000, 100000, 1000000]
# The recorder's default capacity in live allocations.
DEFAULT_MAX_LIVE = 262144
MIB = 1048576

_METHOD = """\
- Workload: `bench/recorder_memory N` keeps N blocks of 32 B live (one call site) under
  `LEAKSCOPE_SAMPLE_BYTES=1`; the figures are the recorder's own (`self_reserved_bytes`,
  `self_resident_bytes`) from its exit dump. N = 0 is the fixed cost. Process peak RSS is
  from wait4, plain and under the recorder. Target: resident ≤ 16 MiB + 64 B per live allocation.

| live N | LEAKSCOPE_MAX_LIVE | reserved MiB | resident MiB | resident B / N \
| (resident - fixed) B / N | target MiB | recorded live | dropped \
| peak RSS plain / recorder MiB |
|---|---|---|---|---|---|---|---|---|---|
"""


def run(ctx):
    if not ctx.have_preload:
        return ["<!-- section:memory -->", "## Recorder memory", "",
                "**Skipped: `%s` was not built.**" % ctx.preload, "<!-- end:memory -->"]
    out = ["<!-- section:memory -->", "## Recorder memory per live sampled allocation", ""]
    out += machine_md(ctx)
    out += text(_METHOD)
    commands = []
    base_res = None
    for n in COUNTS:
        # The default capacity, raised to N above it: the option counts live allocations, the
        # recorder adds its own hash-table headroom.
        max_live = max(n, DEFAULT_MAX_LIVE)
        note("memory: N=%d" % n)
        shutil.rmtree(ctx.dumps)
        os.mkdir(ctx.dumps)
        command = ["env", "LD_PRELOAD=" + ctx.preload, "LEAKSCOPE_SAMPLE_BYTES=1",
                   "LEAKSCOPE_MAX_LIVE=%d" % max_live, "LEAKSCOPE_INTERVAL=0",
                   "LEAKSCOPE_DIR=" + ctx.dumps, ctx.bin("recorder_memory"), str(n)]
        commands.append(ctx.hide_tmp(quote_cmd(command)))
        recorded = run_timed(ctx, ctx.t("log.mem"), command)
        plain = run_timed(ctx, ctx.t("log.memplain"), [ctx.bin("recorder_memory"), str(n)])
        dump = first_dump(ctx.dumps)
        if dump is None:
            raise BenchError("memory: no dump written for N=%d" % n)
        r = subprocess.run([ctx.bin("dump_memory"), dump], stdout=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise BenchError("memory: cannot read " + dump)
        kv = parse_kv(r.stdout)
        res = int(kv["self_resident_bytes"])
        resv = int(kv["self_reserved_bytes"])
        live = int(kv["live_count"])
        dropped = int(kv["dropped_live_full"])
        if base_res is None:
            base_res = res
        per = "%.1f" % (res / n) if n > 0 else "-"
        marginal = "%.1f" % ((res - base_res) / n) if n > 0 else "-"
        target = 16 * MIB + 64 * n
        verdict = "holds" if res <= target else "**missed**"
        if live < n or dropped > 0:
            verdict += " **(not all N recorded)**"
        out.append("| %d | %d | %.1f | %.1f | %s | %s | %.1f (%s) | %d | %d | %.1f / %.1f |"
                   % (n, max_live, resv / MIB, res / MIB, per, marginal, target / MIB, verdict,
                      live, dropped, plain.rss / 1024, recorded.rss / 1024))
    out += ["", "Commands (`$TMP` is a temporary directory removed afterwards; plain runs drop the"
            " `env ...` part):", "", "```"]
    out += commands
    out += ["```", "<!-- end:memory -->"]
    return out

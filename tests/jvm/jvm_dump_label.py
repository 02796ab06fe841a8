#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Labelled dumps asked for from inside a JVM (issue 17): examples/java/LeakscopeDumps, the class
docs/spark.md shows for executor tasks, runs 3 batches under libleakscope.so, each leaking a
Deflater and then requesting a dump labelled "batch N" through its own JVM's status file.

  jvm_dump_label.py --java JAVA --classes DIR --preload LIB --leakscope BIN --workdir DIR

TMPDIR is a fresh directory, so the status file is this JVM's alone and the test also shows that
it is found under TMPDIR while the dumps go to LEAKSCOPE_DIR. Checks:
- the job found its status file and every request was taken (exit 0, its own output);
- `report --format json` of each labelled dump shows dump.label "batch N", in seq order, and the
  exit dump has label "";
- `trend --format json` lists the three labels on the process's time axis, non-decreasing times;
- the status file is gone after the exit.

Exit status: 0 passed; 1 a check failed; 2 the JVM failed; 77 skipped.
"""

import argparse
import glob
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jvm_e2e  # noqa: E402  (the JVM tests' shared helpers)

BATCHES = 3


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--java", required=True)
    p.add_argument("--classes", required=True, help="build/examples/java")
    p.add_argument("--preload", required=True)
    p.add_argument("--leakscope", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    args.main = "LeakscopeDumps"
    jvm_e2e.require_inputs(args)
    jvm_e2e.fresh_dir(args.workdir)
    dump_dir = jvm_e2e.fresh_dir(os.path.join(args.workdir, "dumps"))
    tmp = jvm_e2e.fresh_dir(os.path.join(args.workdir, "tmp"))
    status, out, err = jvm_e2e.run_job(args, [], [str(BATCHES)], dump_dir,
                                       {"LEAKSCOPE_INTERVAL": "0", "TMPDIR": tmp}, True,
                                       args.timeout)
    checks = jvm_e2e.Checks()
    if not checks.check("job", status == 0 and out == f"batches {BATCHES}, deflaters {BATCHES}\n",
                        f"exit {status}, stdout {out!r}, stderr {err!r}"):
        return 2
    dumps = jvm_e2e.dumps_in(dump_dir)
    labels = [jvm_e2e.leakscope_json(args, "report", d)["dump"]["label"] for d in dumps]
    want = [f"batch {n}" for n in range(1, BATCHES + 1)] + [""]
    checks.check("labels in report", labels == want, f"{labels}, expected {want}")
    trend = jvm_e2e.leakscope_json(args, "trend", dump_dir)
    procs = trend["processes"]
    listed = [entry["label"] for entry in procs[0]["labels"]] if len(procs) == 1 else None
    checks.check("labels in trend", listed == want[:-1], f"{listed}")
    if listed == want[:-1]:
        times = [entry["time_ns"] for entry in procs[0]["labels"]]
        seqs = [entry["seq"] for entry in procs[0]["labels"]]
        checks.check("trend time axis", times == sorted(times) and times[0] >= 0 and
                     seqs == list(range(BATCHES)), f"times {times}, seqs {seqs}")
    left = glob.glob(os.path.join(tmp, "leakscope-*", "leakscope.*.status"))
    checks.check("status file removed at exit", left == [], f"{left}")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())

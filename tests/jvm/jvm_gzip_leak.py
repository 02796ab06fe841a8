#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""One leak, one suspect: tests/jvm/GzipLeak (GZIPInputStreams opened, read and never closed)
under libleakscope.so as LD_PRELOAD alone, at default sampling, on any JDK. Issue 16, part 4:
on a JDK whose zlib is bundled in libzip.so (Temurin), the inflate window used to be a second
suspect, billed to the first read instead of the opener.

  jvm_gzip_leak.py --java JAVA --classes DIR --preload LIB --leakscope BIN --workdir DIR
                   [--bundled-zlib]

Checks, on the last dump's `report` and the series' `trend` (--format json):
- zlib_status "intercepted" through the JDK's natives, in libzip.so (--bundled-zlib) or libz.so;
- the inflate streams opened at Java_java_util_zip_Inflater_init: as many open as leaked, each
  holding at least the 32 KiB window;
- exactly one suspect has a zlib or java.util.zip frame: #1, opened by Inflater_init under
  GzipLeak.openAndRead.

Exit status: 0 passed; 1 a check failed; 2 the JVM failed; 77 skipped.
"""

import argparse
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import jvm_e2e  # noqa: E402  (the JVM tests' shared helpers)

INFLATE_INIT = "Java_java_util_zip_Inflater_init"
WINDOW = 32768
# Functions that make a suspect part of the zlib leak: a second suspect with one of them is the
# same leak counted twice.
ZLIB_MARKS = ("Java_java_util_zip_", "java.util.zip.", "inflate", "updatewindow", "zcalloc")


def zlib_related(entry):
    return any(f["function"].startswith(ZLIB_MARKS) for f in entry["frames"])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--java", required=True)
    p.add_argument("--classes", required=True, help="build/tests/jvm-classes")
    p.add_argument("--preload", required=True)
    p.add_argument("--leakscope", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--bundled-zlib", action="store_true",
                   help="the JDK bundles zlib in libzip.so (Temurin)")
    p.add_argument("--job-args", default="20 10 5 100", help="GzipLeak's arguments")
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    args.main = "GzipLeak"
    jvm_e2e.require_inputs(args)
    jvm_e2e.fresh_dir(args.workdir)
    dump_dir = jvm_e2e.fresh_dir(os.path.join(args.workdir, "dumps"))
    status, out, err = jvm_e2e.run_job(args, [], shlex.split(args.job_args), dump_dir,
                                       {"LEAKSCOPE_INTERVAL": "300ms"}, True, args.timeout)
    if status != 0:
        print(f"FAIL the job exited {status}:\n{out}\n{err}")
        return 2
    sys.stdout.write(out)
    leaked = int(next(line for line in out.splitlines()
                      if line.startswith("leaked inflate streams:")).split(":")[1])
    dumps = jvm_e2e.dumps_in(dump_dir)
    checks = jvm_e2e.Checks()
    if not checks.check("dumps", len(dumps) >= 4, f"{len(dumps)} dumps written"):
        return 1
    report = jvm_e2e.leakscope_json(args, "report", dumps[-1])
    trend = jvm_e2e.leakscope_json(args, "trend", dump_dir)

    want = "libzip.so" if args.bundled_zlib else "libz.so"
    module = os.path.basename(report["zlib_module"])
    checks.check(f"streams recorded through the JDK natives, zlib in {want}",
                 report["zlib_status"] == "intercepted" and report["zlib_via_jdk_natives"]
                 and module.startswith(want),
                 f"zlib_status={report['zlib_status']}, zlib_via_jdk_natives="
                 f"{report['zlib_via_jdk_natives']}, zlib_module={report['zlib_module']}")
    mine = [s for s in report["streams"]
            if s["kind"] == "inflate" and jvm_e2e.caller(s) == INFLATE_INIT]
    open_count = sum(s["open_count"] for s in mine)
    open_bytes = sum(s["open_bytes"] for s in mine)
    checks.check("open inflate streams", open_count == leaked,
                 f"leakscope {open_count} at {len(mine)} stacks, truth {leaked}")
    per_stream = open_bytes / open_count if open_count else 0
    checks.check("bytes per open stream, window included", per_stream >= WINDOW,
                 f"{open_bytes} bytes in {open_count} streams: {per_stream:.0f} a stream "
                 f"(at least {WINDOW})")

    suspects = trend["suspects"]
    print("info suspects: " + "; ".join(
        f"#{s['rank']} {jvm_e2e.describe(s)} {jvm_e2e.mib(s['live_bytes_last'])} last"
        for s in suspects[:5]))
    zlib = [s for s in suspects if zlib_related(s)]
    checks.check("one suspect for the leak", len(zlib) == 1,
                 f"{len(zlib)} suspects with zlib or java.util.zip frames: "
                 f"{[jvm_e2e.describe(s) for s in zlib]}")
    top = suspects[0] if suspects else None
    functions = [f["function"] for f in top["frames"]] if top else []
    checks.check("it is #1, opened by Inflater_init under GzipLeak.openAndRead",
                 top is not None and jvm_e2e.caller(top) == INFLATE_INIT
                 and "GzipLeak.openAndRead" in functions,
                 f"#1 {jvm_e2e.describe(top) if top else 'none'}")
    if checks.failed:
        print(f"FAILED: {', '.join(checks.failed)}; dumps in {dump_dir}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

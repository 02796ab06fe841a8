#!/usr/bin/env python3
"""Java frames end to end: examples/java/StreamingJob under libleakscope.so as LD_PRELOAD and as
a JVMTI agent (-agentpath), every allocation recorded; `leakscope trend --format json` must name
the demo's leaking Java methods and the JDK classes between them and the natives, with lines.

  jvm_java_frames.py --java JAVA --classes DIR --preload LIB --leakscope BIN --workdir DIR

Exit status: 0 passed; 1 a check failed; 2 the JVM failed; 77 skipped (no such java, job not
built).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

# The two leaks of examples/java and the frames each suspect's stack must hold, innermost first
# as in the stack (others may lie between them).
LEAKS = {
    "deflate": [
        "Java_java_util_zip_Deflater_init",
        "java.util.zip.Deflater.<init>",
        "DataFileWriter.newCompressor",
    ],
    "inflate": [
        "Java_java_util_zip_Inflater_init",
        "java.util.zip.Inflater.<init>",
        "java.util.zip.GZIPInputStream.<init>",
        "TableMetadataCache.open",
    ],
}


def main():
    parser = argparse.ArgumentParser()
    for name in ("java", "classes", "preload", "leakscope", "workdir"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    java = shutil.which(args.java)
    if java is None:
        print(f"{args.java}: not found; skipped")
        return 77
    if not os.path.exists(os.path.join(args.classes, "StreamingJob.class")):
        print(f"{args.classes}/StreamingJob.class: not built (no javac?); skipped")
        return 77

    dumps = os.path.join(args.workdir, "dumps")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(dumps)
    env = dict(os.environ, LD_PRELOAD=args.preload, LEAKSCOPE_DIR=dumps,
               LEAKSCOPE_SAMPLE_BYTES="1", LEAKSCOPE_INTERVAL="500ms")
    command = [java, "-agentpath:" + args.preload, "-cp", args.classes, "StreamingJob",
               "--quiet", "--batch-ms", "100", "--batches", "20"]
    job = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if job.returncode != 0:
        print(f"the job failed ({job.returncode}): {job.stderr[-2000:]}")
        return 2

    def leakscope(*words):
        run = subprocess.run([args.leakscope, *words, "--format", "json"], capture_output=True,
                             text=True, timeout=120)
        if run.returncode != 0:
            raise SystemExit(f"leakscope {' '.join(words)} failed: {run.stderr}")
        return json.loads(run.stdout)

    failed = []
    last = sorted(glob.glob(os.path.join(dumps, "*.dump")),
                  key=lambda p: int(p.rsplit(".", 2)[-2]))[-1]
    walks = leakscope("report", "--top", "1", last).get("java", {}).get("walks", {})
    print(f"report {os.path.basename(last)}: java walks {walks}")
    if walks.get("frames", 0) == 0:
        failed.append("the dump says no stack walk gave Java frames")

    # Top 3: with zlib bundled in libzip.so (Temurin) the inflate windows, allocated inside
    # inflate() under Inflater.inflateBytesBytes, rank between the two opening natives.
    suspects = leakscope("trend", dumps)["suspects"][:3]
    for leak, wanted in LEAKS.items():
        found = None
        for suspect in suspects:
            names = [f["function"] for f in suspect["frames"]]
            if wanted[0] in names:
                found = suspect
        if found is None:
            failed.append(f"{leak}: {wanted[0]} is not in the top 3 suspects")
            continue
        frames = found["frames"]
        text = [f"{f['function']}:{f['line']} ({f['kind']})" for f in frames]
        print(f"{leak}: suspect #{found['rank']}: " + " <- ".join(text[:10]))
        position = 0
        for name in wanted:
            at = next((i for i in range(position, len(frames))
                       if frames[i]["function"] == name), None)
            if at is None:
                failed.append(f"{leak}: {name} missing (or out of order)")
                continue
            frame = frames[at]
            if frame["kind"] == "java" and not (frame["line"] or 0) > 0:
                failed.append(f"{leak}: {name} has no line")
            if name.startswith("Java_") and found["caller_index"] != at:
                failed.append(f"{leak}: caller_index {found['caller_index']} is not {name}")
            if name.startswith("Java_") and frames[at + 1]["kind"] != "java":
                failed.append(f"{leak}: {name} is not followed by a Java frame")
            position = at + 1
        if any(f["module"] == "[jit]" for f in frames):
            failed.append(f"{leak}: [jit] frames left beside the Java frames")
    for message in failed:
        print("FAILED: " + message)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

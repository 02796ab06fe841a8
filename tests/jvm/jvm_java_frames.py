#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Java frames end to end, under libleakscope.so as LD_PRELOAD with every allocation recorded.

  jvm_java_frames.py [--mode MODE] --java JAVA --classes DIR --preload LIB --leakscope BIN
                     --workdir DIR

Modes:
  agentpath  examples/java/StreamingJob with the library also loaded as the JVMTI agent
             (-agentpath); `leakscope trend --format json` must name the demo's leaking Java
             methods and the JDK classes between them and the natives, with lines.
  attach     StreamingJob with LD_PRELOAD alone; after its third batch the agent is loaded into
             the running JVM with `jcmd PID JVMTI.agent_load LIB` (Agent_OnAttach). The leaks
             opened after the attach must name the same Java methods, although their classes
             were loaded before it, and the job's output must stay clean (JDK 21+ warns about
             a dynamically loaded agent unless -XX:+EnableDynamicAgentLoading).
  preload    StreamingJob under LD_PRELOAD alone, no JVM option: the preloaded library joins
             the JVM the java launcher has just created (preload/java/java_launcher.h). The same
             checks as agentpath, and the job's stderr stays empty (no JDK 21+ agent warning).
  missing    StreamingJob with LD_PRELOAD naming a library that is not there (a node without
             the file): the JVM runs to completion with the same stdout as without LD_PRELOAD;
             its stderr is ld.so's one warning; no dump. The same file as -agentpath (the old
             spark-conf setting) stops the JVM: checked too, to show why there is no JVM option.
  unload     tests/jvm/ClassUnloadJob (--classes: build/tests/jvm-classes): Unloadable, loaded through its own class loader,
             leaks Deflaters from Unloadable.leak; the loader is dropped and the class unloaded
             (checked in the JVM's class+unload log) before any dump is written. A dump then
             requested with the trigger file, and the exit dump, must still name
             Unloadable.leak with its line.

Exit status: 0 passed; 1 a check failed; 2 the JVM (or jcmd) failed; 77 skipped (no such java
or jcmd, job not built).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import threading
import time

# The two leaks of StreamingJob and the frames each suspect's stack must hold, innermost first
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
UNLOADED_LEAK = [
    "Java_java_util_zip_Deflater_init",
    "java.util.zip.Deflater.<init>",
    "Unloadable.leak",
    "ClassUnloadJob.leakThroughOwnLoader",
]

# attach: StreamingJob's batches, and the batch whose line must be out before the attach.
ATTACH_BATCHES = 60
ATTACH_AFTER_BATCH = 2


def skip(message):
    print(f"SKIPPED: {message}")
    sys.exit(77)


def clean_env(args, dumps, **extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LEAKSCOPE_") and k not in ("LD_PRELOAD", "JAVA_TOOL_OPTIONS")}
    env.update(LD_PRELOAD=args.preload, LEAKSCOPE_DIR=dumps, LEAKSCOPE_SAMPLE_BYTES="1", **extra)
    return env


def dumps_in(dumps):
    return sorted(glob.glob(os.path.join(dumps, "leakscope.*.dump")),
                  key=lambda p: int(p.rsplit(".", 2)[-2]))


def leakscope(args, *words):
    run = subprocess.run([args.leakscope, *words, "--format", "json"], capture_output=True,
                         text=True, timeout=120)
    if run.returncode != 0:
        raise SystemExit(f"leakscope {' '.join(words)} failed: {run.stderr}")
    return json.loads(run.stdout)


def names(entry):
    return [f["function"] for f in entry["frames"]]


def check_frames(label, entry, wanted, failed):
    """The frames `wanted` appear in order in entry's stack, Java ones with a line."""
    frames = entry["frames"]
    text = [f"{f['function']}:{f['line']} ({f['kind']})" for f in frames]
    print(f"{label}: " + " <- ".join(text[:10]))
    position = 0
    for name in wanted:
        at = next((i for i in range(position, len(frames)) if frames[i]["function"] == name),
                  None)
        if at is None:
            failed.append(f"{label}: {name} missing (or out of order)")
            continue
        frame = frames[at]
        if frame["kind"] == "java" and not (frame["line"] or 0) > 0:
            failed.append(f"{label}: {name} has no line")
        if name.startswith("Java_") and entry["caller_index"] != at:
            failed.append(f"{label}: caller_index {entry['caller_index']} is not {name}")
        if name.startswith("Java_") and frames[at + 1]["kind"] != "java":
            failed.append(f"{label}: {name} is not followed by a Java frame")
        position = at + 1
    if any(f["module"] == "[jit]" for f in frames):
        failed.append(f"{label}: [jit] frames left beside the Java frames")


def check_walks(args, dump, failed):
    walks = leakscope(args, "report", "--top", "1", dump).get("java", {}).get("walks", {})
    print(f"report {os.path.basename(dump)}: java walks {walks}")
    if walks.get("frames", 0) == 0:
        failed.append(f"{os.path.basename(dump)}: no stack walk gave Java frames")


def describe_ranking(trend):
    """What a failed ranking check needs to be understood later: the suspects and the possible
    growth, each by its first frames, growth and the samples it rests on."""
    for key in ("suspects", "possible_growth"):
        for entry in trend.get(key, [])[:8]:
            frames = " <- ".join(names(entry)[:6])
            fields = ("rank", "growth_bytes_per_min", "live_bytes_last", "monotonic_fraction",
                      "intervals", "samples")
            figures = {k: entry[k] for k in fields if k in entry}
            print(f"  {key}: {figures} {frames}")


def check_streaming_suspects(args, dumps, failed):
    """Top 3 of `trend` over the dumps: each StreamingJob leak, named down to the demo's code.
    With zlib bundled in libzip.so (Temurin) the inflate windows, allocated inside inflate()
    under Inflater.inflateBytesBytes, rank between the two opening natives."""
    trend = leakscope(args, "trend", dumps)
    suspects = trend["suspects"][:3]
    for leak, wanted in LEAKS.items():
        found = None
        for suspect in suspects:
            if wanted[0] in names(suspect):
                found = suspect
        if found is None:
            failed.append(f"{leak}: {wanted[0]} is not in the top 3 suspects")
            describe_ranking(trend)
            continue
        check_frames(f"{leak}: suspect #{found['rank']}", found, wanted, failed)


def agentpath(args, dumps, failed):
    env = clean_env(args, dumps, LEAKSCOPE_INTERVAL="500ms")
    command = [args.java, "-agentpath:" + args.preload, "-cp", args.classes, "StreamingJob",
               "--quiet", "--batch-ms", "100", "--batches", "20"]
    job = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if job.returncode != 0:
        print(f"the job failed ({job.returncode}): {job.stderr[-2000:]}")
        return 2
    check_walks(args, dumps_in(dumps)[-1], failed)
    check_streaming_suspects(args, dumps, failed)
    return 0


def preload(args, dumps, failed):
    env = clean_env(args, dumps, LEAKSCOPE_INTERVAL="500ms", LEAKSCOPE_PROCESS="java")
    command = [args.java, "-cp", args.classes, "StreamingJob", "--quiet", "--batch-ms", "100",
               "--batches", "20"]
    job = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    if job.returncode != 0:
        print(f"the job failed ({job.returncode}): {job.stderr[-2000:]}")
        return 2
    if job.stderr:
        failed.append(f"the job's stderr is not empty: {job.stderr[:500]!r}")
    check_walks(args, dumps_in(dumps)[-1], failed)
    check_streaming_suspects(args, dumps, failed)
    return 0


def missing(args, dumps, failed):
    absent = os.path.join(args.workdir, "not-shipped", os.path.basename(args.preload))
    command = [args.java, "-cp", args.classes, "StreamingJob", "--quiet", "--batch-ms", "20",
               "--batches", "10"]
    plain_env = {k: v for k, v in clean_env(args, dumps).items()
                 if k != "LD_PRELOAD" and not k.startswith("LEAKSCOPE_")}
    plain = subprocess.run(command, env=plain_env, capture_output=True, text=True, timeout=120)
    if plain.returncode != 0:
        print(f"the job failed without LD_PRELOAD ({plain.returncode}): {plain.stderr[-2000:]}")
        return 2
    env = clean_env(args, dumps)
    env["LD_PRELOAD"] = absent
    job = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    print(f"exit {job.returncode}; stderr: {job.stderr.strip()!r}")
    if job.returncode != 0:
        failed.append(f"the JVM did not run with a missing LD_PRELOAD library: {job.stderr!r}")
    if not plain.stdout.strip() or job.stdout != plain.stdout:
        failed.append(f"stdout differs from a run without LD_PRELOAD: {job.stdout[-500:]!r}")
    warning = (f"ERROR: ld.so: object '{absent}' from LD_PRELOAD cannot be preloaded "
               "(cannot open shared object file): ignored.")
    if [line for line in job.stderr.splitlines() if line != warning]:
        failed.append(f"stderr has more than ld.so's warning: {job.stderr[:500]!r}")
    if os.listdir(dumps):
        failed.append(f"dumps without a recorder: {os.listdir(dumps)}")
    agent = subprocess.run([args.java, "-agentpath:" + absent, "-version"], env=plain_env,
                           capture_output=True, text=True, timeout=60)
    print(f"-agentpath to the missing file: exit {agent.returncode}, "
          f"{(agent.stderr + agent.stdout).strip().splitlines()[:2]}")
    if agent.returncode == 0:
        failed.append("a JVM with -agentpath to a missing library started (expected it not to)")
    return 0


def accepts_flag(java, flag):
    return subprocess.run([java, flag, "-version"], capture_output=True,
                          timeout=60).returncode == 0


def attach(args, dumps, failed):
    jcmd = os.path.join(os.path.dirname(os.path.realpath(args.java)), "jcmd")
    if not os.access(jcmd, os.X_OK):
        skip(f"no jcmd beside {args.java}")
    # JDK 21+ (JEP 451) prints three WARNING lines into the job's stderr on a dynamic agent load
    # unless told that it is expected; older JDKs may not know the flag.
    flags = [f for f in ["-XX:+EnableDynamicAgentLoading"] if accepts_flag(args.java, f)]
    env = clean_env(args, dumps, LEAKSCOPE_INTERVAL="500ms")
    stderr_path = os.path.join(args.workdir, "job.stderr")
    command = [args.java, *flags, "-cp", args.classes, "StreamingJob", "--batch-ms", "100",
               "--batches", str(ATTACH_BATCHES)]
    with open(stderr_path, "w") as stderr:
        job = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    lines = []  # (arrival time, line)
    started = threading.Event()

    def read():
        for line in job.stdout:
            lines.append((time.monotonic(), line))
            if line.startswith(f"batch {ATTACH_AFTER_BATCH}:"):
                started.set()
        started.set()

    reader = threading.Thread(target=read)
    reader.start()
    started.wait(60)
    # Classes the leaks run through (DataFileWriter, TableMetadataCache, Deflater, Inflater,
    # GZIPInputStream) are all loaded by now: the agent must create their method ids itself.
    jcmd_env = {k: v for k, v in env.items() if not k.startswith("LEAKSCOPE_")
                and k != "LD_PRELOAD"}
    load = subprocess.run([jcmd, str(job.pid), "JVMTI.agent_load", args.preload],
                          capture_output=True, text=True, timeout=60, env=jcmd_env)
    attached_at = time.monotonic()
    job.wait(120)
    reader.join()
    with open(stderr_path) as f:
        job_stderr = f.read()
    print(f"jcmd: {load.stdout.strip()!r} (exit {load.returncode})")
    if load.returncode != 0 or "return code: 0" not in load.stdout:
        print(f"jcmd JVMTI.agent_load failed: {load.stdout} {load.stderr}")
        return 2
    if job.returncode != 0:
        print(f"the job failed ({job.returncode}): {job_stderr[-2000:]}")
        return 2
    output = "".join(line for _, line in lines)
    if job_stderr:
        failed.append(f"the job's stderr is not empty: {job_stderr[:500]!r}")
    if "WARNING" in output or "leakscope" in output:
        failed.append("the job's stdout has lines of the JVM or leakscope")
    # Batches whose line was out before jcmd returned began before the attach; the one after
    # may have overlapped it. Every leak of the later batches was opened under the agent.
    before = sum(1 for t, line in lines if t <= attached_at and line.startswith("batch "))
    after = ATTACH_BATCHES - before - 1
    print(f"attached after {before} of {ATTACH_BATCHES} batches")
    if after < ATTACH_BATCHES // 2:
        failed.append(f"the attach took too long: only {after} batches ran after it")

    files = dumps_in(dumps)
    check_walks(args, files[-1], failed)
    check_streaming_suspects(args, dumps, failed)
    # A dump written while the job ran (not the exit dump, which VMDeath names on its own): the
    # resolver thread started by Agent_OnAttach has named the methods.
    running = leakscope(args, "report", "--top", "0", files[-2])
    for leak, wanted in LEAKS.items():
        sites = [s for s in running["sites"] if wanted[0] in names(s) and wanted[-1] in names(s)]
        if not sites:
            failed.append(f"{os.path.basename(files[-2])}: no site names {wanted[-1]}")
        else:
            check_frames(f"{leak}: {os.path.basename(files[-2])}", sites[0], wanted, failed)
    # Every batch leaks the same streams: at least `after` batches' worth of the leaked bytes
    # at each opening native must be at stacks with the demo's Java frames.
    report = leakscope(args, "report", "--top", "0", files[-1])
    for leak, wanted in LEAKS.items():
        total = sum(s["live_bytes"] for s in report["sites"] if wanted[0] in names(s))
        named = sum(s["live_bytes"] for s in report["sites"]
                    if wanted[0] in names(s) and wanted[-1] in names(s))
        share = named / total if total else 0
        need = (after - 1) / ATTACH_BATCHES  # a batch of slack for walks that failed
        print(f"{leak}: {share:.1%} of {total} leaked bytes at stacks naming {wanted[-1]} "
              f"(at least {need:.1%})")
        if share < need:
            failed.append(f"{leak}: leaks opened after the attach are not all named")
    return 0


def unload(args, dumps, failed):
    if not os.path.exists(os.path.join(args.classes, "ClassUnloadJob.class")):
        skip(f"{args.classes}/ClassUnloadJob.class: not built")
    log = os.path.join(args.workdir, "class-unload.log")
    # No periodic dump: the first dump is the one the test asks for after the unload.
    env = clean_env(args, dumps, LEAKSCOPE_INTERVAL="0")
    command = [args.java, "-agentpath:" + args.preload, f"-Xlog:class+unload=info:file={log}",
               "-cp", args.classes, "ClassUnloadJob", "20", "200"]
    job = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    out = [job.stdout.readline() for _ in range(2)]
    print("job: " + " / ".join(line.strip() for line in out))
    with open(log) as f:
        unloaded = [line.strip() for line in f if "unloading class Unloadable " in line]
    early = dumps_in(dumps)
    dump = os.path.join(dumps, f"leakscope.{job.pid}.0.dump")
    if out[1].strip() == "class loader collected: true" and unloaded and not early:
        with open(os.path.join(dumps, f"leakscope.{job.pid}.trigger"), "w"):
            pass
        deadline = time.monotonic() + 20
        while not os.path.exists(dump) and time.monotonic() < deadline:
            time.sleep(0.05)
    stdout, stderr = job.communicate("\n", timeout=60)
    if job.returncode != 0:
        print(f"the job failed ({job.returncode}): {stderr[-2000:]}")
        return 2
    if out[0].strip() != "leaked deflaters: 20":
        failed.append(f"the job did not leak 20 Deflaters: {out[0]!r}")
    if out[1].strip() != "class loader collected: true":
        failed.append("Unloadable's class loader was not collected")
    if not unloaded:
        failed.append("no 'unloading class Unloadable' in the class+unload log")
    else:
        print(f"class+unload log: {unloaded[0]}")
    if early:
        failed.append(f"a dump was written before the unload: {early}")
    if stderr:
        failed.append(f"the job's stderr is not empty: {stderr[:500]!r}")
    files = dumps_in(dumps)
    if not os.path.exists(dump) or len(files) != 2:
        failed.append(f"expected the triggered dump and the exit dump, found {files}")
    for path in files:
        report = leakscope(args, "report", "--top", "0", path)
        sites = [s for s in report["sites"]
                 if "Unloadable.leak" in names(s) and s["live_count"] > 0]
        label = os.path.basename(path)
        if not sites:
            unnamed = [s for s in report["sites"] if UNLOADED_LEAK[0] in names(s)
                       and any(n.startswith("[java method") for n in names(s))]
            failed.append(f"{label}: no live site names Unloadable.leak"
                          + (" (its method ids are unnamed)" if unnamed else ""))
            continue
        check_frames(f"{label}: {sites[0]['live_bytes']} bytes live", sites[0], UNLOADED_LEAK,
                     failed)
        frame = next(f for f in sites[0]["frames"] if f["function"] == "Unloadable.leak")
        if frame["file"] != "Unloadable.java":
            failed.append(f"{label}: Unloadable.leak's file is {frame['file']}")
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["agentpath", "preload", "missing", "attach", "unload"],
                        default="agentpath")
    for name in ("java", "classes", "preload", "leakscope", "workdir"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    java = shutil.which(args.java)
    if java is None:
        skip(f"{args.java}: not found")
    args.java = java
    # The unload mode runs tests/jvm's ClassUnloadJob and checks for it itself.
    if args.mode != "unload" and not os.path.exists(os.path.join(args.classes,
                                                                 "StreamingJob.class")):
        skip(f"{args.classes}/StreamingJob.class: not built (no javac?)")

    dumps = os.path.join(args.workdir, "dumps")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(dumps)
    failed = []
    status = {"agentpath": agentpath, "preload": preload, "missing": missing, "attach": attach,
              "unload": unload}[args.mode](
        args, dumps, failed)
    if status:
        return status
    for message in failed:
        print("FAILED: " + message)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

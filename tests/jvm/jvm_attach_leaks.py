#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Issue 17 end to end: a JVM started with no leakscope setting at all, `leakscope attach`ed
while it runs, then read back with `leakscope trend`.

  jvm_attach_leaks.py leaks --java JAVA --classes DIR --leakscope BIN --workdir DIR
  jvm_attach_leaks.py stop  --java JAVA --classes DIR --leakscope BIN --workdir DIR
  jvm_attach_leaks.py soak  --java JAVA --classes DIR --workloads DIR --leakscope BIN --workdir DIR
                            [-n RUNS] [-j JOBS] [--seed S]

leaks  examples/java StreamingJob, attached after its first seconds with a dump every 500 ms:
       the job's stdout is the plain run's, its stderr empty (JDK 21+: JEP 451's three warning
       lines only); `trend` ranks the Deflater and Inflater leaks before anything else, with the
       Java methods that leak (DataFileWriter.newCompressor, TableMetadataCache.open).
stop   the same job, attached; a second attach says it records already, and where; `dump PID
       --label` brings a dump with that label; then `attach --stop`: the command says so, a final
       dump is there, no dump is written afterwards while the job goes on, `dump PID` finds no
       recorder; the job's output is unchanged.
soak   RUNS attaches, JOBS at once, each to a fresh JVM running StreamingJob or DeoptStorm
       (tests/jvm, from --workloads), at a random moment, half of them stopped again later: no
       crash (hs_err, signal), no hang, the plain run's stdout.

Exit status: 0 passed; 1 a check failed; 2 a JVM crashed or hung; 77 skipped.
"""

import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

STREAMING = ["StreamingJob", "--quiet", "--batch-ms", "100", "--batches", "70"]
DEOPT = ["DeoptStorm", "2", "20", "30000"]  # about 4 s alone
JEP451 = "WARNING: A JVM TI agent has been loaded dynamically"
LEAKS = {
    "deflate": ("Java_java_util_zip_Deflater_init", "DataFileWriter.newCompressor"),
    "inflate": ("Java_java_util_zip_Inflater_init", "TableMetadataCache.open"),
}
# On a JDK whose zlib is in libzip.so, natives bound before the attach keep the JDK's functions:
# the inflate window is a second site of the same leak (docs/attach.md, Limits).
INFLATE_WINDOW = "Java_java_util_zip_Inflater_inflateBytesBytes"


class Failed(Exception):
    pass


def skip(message):
    print(f"SKIPPED: {message}")
    sys.exit(77)


def clean_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LEAKSCOPE_") and k not in ("LD_PRELOAD", "JAVA_TOOL_OPTIONS")}
    return env


def start_jvm(args, classpath, workload, workdir):
    out = open(os.path.join(workdir, "job.out"), "w")
    err = open(os.path.join(workdir, "job.err"), "w")
    command = [args.java, f"-XX:ErrorFile={workdir}/hs_err_%p.log", "-cp", classpath, *workload]
    return subprocess.Popen(command, stdout=out, stderr=err, env=clean_env(), cwd=workdir)


def wait_for_vm(proc, timeout=60):
    """Until the JVM has initialized (libjava.so, loaded during VM start-up, is mapped): a process
    still in the launcher is not yet a JVM anyone can attach to."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/maps") as f:
                if "/libjava.so" in f.read():
                    return
        except OSError:
            return
        time.sleep(0.05)


def plain_output(args, classpath, workload, workdir):
    os.makedirs(workdir, exist_ok=True)
    proc = subprocess.run([args.java, "-cp", classpath, *workload], capture_output=True,
                          text=True, env=clean_env(), cwd=workdir, timeout=180)
    if proc.returncode != 0:
        raise Failed(f"the plain run failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def leakscope(args, *words, timeout=120):
    return subprocess.run([args.leakscope, *words], capture_output=True, text=True,
                          timeout=timeout)


def attach(args, pid, dump_dir, interval="500ms"):
    return leakscope(args, "attach", str(pid), "--dir", dump_dir, "--interval", interval)


def finish(proc, workdir, timeout):
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Failed(f"the JVM hung (no exit within {timeout} s)")
    crashes = glob.glob(os.path.join(workdir, "hs_err_*.log"))
    if code < 0 or crashes:
        raise Failed(f"the JVM crashed (exit {code}; {crashes or 'no hs_err file'})")
    with open(os.path.join(workdir, "job.out")) as f:
        out = f.read()
    with open(os.path.join(workdir, "job.err")) as f:
        err = f.read()
    return code, out, err


def dumps_in(directory):
    return sorted(glob.glob(os.path.join(directory, "**", "leakscope.*.dump"), recursive=True))


def check_stderr(err):
    """Nothing of ours: JDK 21+ adds JEP 451's three warning lines, and that is all."""
    lines = [line for line in err.splitlines() if line]
    if lines and lines[0].startswith(JEP451):
        lines = lines[3:]
    if lines:
        raise Failed(f"the job's stderr has more than JEP 451's warning: {lines[:5]}")


def caller(entry):
    index = entry["caller_index"]
    return entry["frames"][index]["function"] if index >= 0 else None


def start_attached_job(args, delay):
    """StreamingJob with no setting, attached `delay` seconds after its start: (workdir, plain
    run's stdout, dump directory, the JVM)."""
    workdir = fresh(args.workdir)
    expected = plain_output(args, args.classes, STREAMING, os.path.join(workdir, "plain"))
    dump_dir = os.path.join(workdir, "dumps")
    os.makedirs(dump_dir)
    proc = start_jvm(args, args.classes, STREAMING, workdir)
    time.sleep(delay)
    result = attach(args, proc.pid, dump_dir)
    print(f"attach: exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}")
    if result.returncode != 0 or f"attached to {proc.pid}" not in result.stdout:
        proc.kill()
        raise Failed("the attach failed")
    return workdir, expected, dump_dir, proc


def run_leaks(args):
    # Attached once the leaks, the JIT and the natives' binding are under way.
    workdir, expected, dump_dir, proc = start_attached_job(args, 2.5)
    code, out, err = finish(proc, workdir, 180)
    if code != 0 or out != expected:
        raise Failed(f"the job's output changed (exit {code}):\n{out[-400:]}\nexpected:\n"
                     f"{expected[-400:]}")
    check_stderr(err)
    dumps = dumps_in(dump_dir)
    if len(dumps) < 4:
        raise Failed(f"{len(dumps)} dumps written")
    trend = leakscope(args, "trend", "--format", "json", "--top", "0", dump_dir)
    if trend.returncode != 0:
        raise Failed(f"trend failed: {trend.stderr}")
    suspects = json.loads(trend.stdout)["suspects"]
    callers = [caller(s) for s in suspects]
    print("info suspects: " + "; ".join(f"#{s['rank']} {caller(s)}" for s in suspects[:6]))
    leaking = {native for native, _ in LEAKS.values()} | {INFLATE_WINDOW}
    first_other = next((i for i, c in enumerate(callers) if c not in leaking), len(callers))
    for kind, (native, method) in LEAKS.items():
        mine = [s for s in suspects[:first_other] if caller(s) == native]
        if not mine:
            raise Failed(f"no {kind} suspect ({native}) before the first other suspect; "
                         f"suspects {callers[:6]}")
        functions = [f["function"] for f in mine[0]["frames"]]
        if method not in functions:
            raise Failed(f"the {kind} suspect has no Java frame {method}: {functions}")
        print(f"ok   {kind} leak ranked #{mine[0]['rank']}, through {method}")
    print(f"ok   {first_other} leak suspects before any other; {len(dumps)} dumps")


def run_stop(args):
    workdir, expected, dump_dir, proc = start_attached_job(args, 1.5)
    again = leakscope(args, "attach", str(proc.pid))
    want = f"process {proc.pid} is already recording (attach): dumps go to {dump_dir}; nothing changed"
    if again.returncode != 0 or again.stdout.strip() != want:
        proc.kill()
        raise Failed(f"second attach: exit {again.returncode}: {again.stdout.strip()!r}, "
                     f"expected {want!r}")
    labelled = leakscope(args, "dump", str(proc.pid), "--label", "before stop", "--wait", "30")
    if labelled.returncode != 0 or not labelled.stdout.strip().startswith(dump_dir):
        proc.kill()
        raise Failed(f"dump --label: exit {labelled.returncode}: {labelled.stdout} "
                     f"{labelled.stderr}")
    time.sleep(2.0)
    stop = leakscope(args, "attach", str(proc.pid), "--stop")
    print(f"stop: exit {stop.returncode}: {stop.stdout.strip()} {stop.stderr.strip()}")
    if stop.returncode != 0 or "stop recording" not in stop.stdout:
        proc.kill()
        raise Failed("the stop failed")
    time.sleep(1.0)  # the final dump is written before the agent's call returns; margin
    after_stop = dumps_in(dump_dir)
    gone = leakscope(args, "dump", str(proc.pid), "--wait", "2")
    if gone.returncode == 0 or "not recording" not in gone.stderr:
        proc.kill()
        raise Failed(f"after the stop, `dump` still finds a recorder: {gone.stdout} {gone.stderr}")
    time.sleep(2.0)  # four intervals of 500 ms: none may bring a dump
    later = dumps_in(dump_dir)
    code, out, err = finish(proc, workdir, 180)
    if code != 0 or out != expected:
        raise Failed(f"the job's output changed (exit {code})")
    check_stderr(err)
    final = dumps_in(dump_dir)
    if not after_stop or later != after_stop or final != after_stop:
        raise Failed(f"dumps after the stop: {len(after_stop)} at the stop, {len(later)} 2 s "
                     f"later, {len(final)} at the job's exit")
    report = leakscope(args, "report", "--format", "json", after_stop[-1])
    if report.returncode != 0:
        raise Failed(f"the final dump does not read: {report.stderr}")
    label = json.loads(leakscope(args, "report", "--format", "json",
                                 labelled.stdout.strip()).stdout)["dump"]["label"]
    if label != "before stop":
        raise Failed(f"the requested dump's label is {label!r}")
    print(f"ok   stopped: {len(after_stop)} dumps, none after the stop, the job unchanged")


def soak_one(args, index, expected, rng):
    workdir = fresh(os.path.join(args.workdir, f"run{index:03d}"))
    deopt = rng.random() < 0.5
    workload, classpath = (DEOPT, args.workloads) if deopt else (STREAMING, args.classes)
    dump_dir = os.path.join(workdir, "dumps")
    os.makedirs(dump_dir)
    proc = start_jvm(args, classpath, workload, workdir)
    wait_for_vm(proc)
    time.sleep(rng.uniform(0.0, 2.5))
    result = attach(args, proc.pid, dump_dir, interval="200ms")
    exited_soon = False
    if result.returncode != 0:
        time.sleep(1.0)
        exited_soon = proc.poll() is not None  # attached while the JVM was ending
    stopped = False
    if result.returncode == 0 and rng.random() < 0.5:
        time.sleep(rng.uniform(0.2, 2.0))
        stopped = leakscope(args, "attach", str(proc.pid), "--stop").returncode == 0
    code, out, err = finish(proc, workdir, 240)
    name = workload[0]
    if code != 0 or out != expected[name]:
        raise Failed(f"run {index} ({name}): output changed (exit {code})")
    check_stderr(err)
    if result.returncode != 0:
        # What the soak is about is the JVM: no crash, no hang, the same output. An attach the
        # JVM did not answer (it ended first, or its listener never came up in time on a
        # loaded machine) is counted, not failed; any other refusal is a failure.
        benign = ("exited", "no such process", "did not open its attach socket",
                  "is shutting down")
        if not exited_soon and not any(b in result.stderr for b in benign):
            raise Failed(f"run {index} ({name}): attach failed: {result.stderr.strip()}")
        print(f"note run {index} ({name}): not attached: {result.stderr.strip()}", flush=True)
    shutil.rmtree(workdir, ignore_errors=True)
    return name, result.returncode == 0, stopped


def run_soak(args):
    fresh(args.workdir)
    expected = {
        "StreamingJob": plain_output(args, args.classes, STREAMING,
                                     os.path.join(args.workdir, "plain-streaming")),
        "DeoptStorm": plain_output(args, args.workloads, DEOPT,
                                   os.path.join(args.workdir, "plain-deopt")),
    }
    rng = random.Random(args.seed)
    seeds = [rng.randrange(1 << 30) for _ in range(args.runs)]
    failures, done = [], []
    lock = threading.Lock()
    queue = list(range(args.runs))

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                i = queue.pop(0)
            try:
                outcome = soak_one(args, i, expected, random.Random(seeds[i]))
                with lock:
                    done.append(outcome)
            except Failed as e:
                with lock:
                    failures.append(str(e))
                print(f"FAIL {e}", flush=True)

    threads = [threading.Thread(target=worker) for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    attached = sum(1 for _, a, _ in done if a)
    stopped = sum(1 for _, _, s in done if s)
    print(f"soak: {args.runs} runs, {len(done)} clean ({attached} attached, {stopped} of them "
          f"stopped again), {len(failures)} failed")
    if failures:
        raise Failed("; ".join(failures[:3]))


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["leaks", "stop", "soak"])
    p.add_argument("--java", required=True)
    p.add_argument("--classes", required=True, help="build/examples/java")
    p.add_argument("--workloads", help="build/tests/jvm-classes (soak)")
    p.add_argument("--leakscope", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("-n", "--runs", type=int, default=4)
    p.add_argument("-j", "--jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if not os.access(args.java, os.X_OK):
        skip(f"no JDK at {args.java}")
    if not os.path.isfile(os.path.join(args.classes, "StreamingJob.class")):
        skip(f"StreamingJob is not built in {args.classes}")
    if args.mode == "soak" and not (args.workloads and
                                    os.path.isfile(os.path.join(args.workloads,
                                                                "DeoptStorm.class"))):
        skip("DeoptStorm is not built (--workloads)")
    try:
        {"leaks": run_leaks, "stop": run_stop, "soak": run_soak}[args.mode](args)
    except Failed as e:
        print(f"FAILED: {e}")
        return 2 if "crashed" in str(e) or "hung" in str(e) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

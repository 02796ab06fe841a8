#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`leakscope attach PID` against running JVMs started with no leakscope setting.

  jvm_attach.py --group GROUP[,GROUP...] --java JAVA --classes DIR --leakscope BIN --workdir DIR

The JVM runs tests/jvm/AttachTarget (build/tests/jvm-classes), which prints "ready", opens and
closes Deflaters until a stop file appears, and prints "done": its stdout must stay exactly
"ready\\ndone\\n" (no thread dump from a stray SIGQUIT) whatever the client did.

Groups:
  basic      on one JVM, in this order: a load the JVM refuses (--lib names the leakscope
             executable, which dlopen cannot load), another user's attach (setpriv nobody; root
             only), --stop without leakscope: each one message, and nothing loaded, no attach
             socket opened. Then the attach (the reply parsed as success, this build's library
             mapped in the JVM), a second attach ("already recording"), --stop. JDK 21+: the
             JEP 451 warning, exactly, on the JVM's stderr; JDK 17: none.
  jep451     JDK 21+: with -XX:+EnableDynamicAgentLoading the same attach prints no warning.
  refusals   a process that is not a JVM (sleep: still alive after), a JVM with
             -XX:+DisableAttachMechanism on its command line and one with it in
             JAVA_TOOL_OPTIONS (the flag named, no SIGQUIT sent), a stopped JVM (SIGSTOP: it
             would print a thread dump when continued), a JVM with -Xrs whose attach socket is
             gone (SIGQUIT would end it: refused, the JVM lives on).
  container  root only: a JVM in its own pid and mount namespaces with a private /tmp and this
             build's lib directory hidden (unshare -m -p plus tmpfs mounts): reached through
             /proc/PID/root with its own pid (1), the library copied into its /tmp; a JVM of
             user nobody attached by nobody (the attach file in /tmp: its working directory is
             not writable); a JVM of user nobody in its own user namespace (root inside): root
             must act as the JVM's user for the JVM to accept the attach file and connection.

Exit status: 0 passed; 1 a check failed; 2 a JVM failed; 77 skipped (no such java, classes not
built, or the group needs root or namespaces this machine lacks).
"""

import argparse
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time

READY_TIMEOUT = 60  # a JVM starting on a loaded 2-core machine
CLIENT_TIMEOUT = 90
JEP451_WARNING = (
    "WARNING: A JVM TI agent has been loaded dynamically ({lib})\n"
    "WARNING: If a serviceability tool is in use, please run with "
    "-XX:+EnableDynamicAgentLoading to hide this warning\n"
    "WARNING: Dynamic loading of agents will be disallowed by default in a future release\n")

failures = []
started = []  # every Jvm, killed at exit if a failed check left it running


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAILED: {message}", flush=True)
    return condition


def skip(message):
    print(f"SKIPPED: {message}")
    sys.exit(77)


def jvm_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LEAKSCOPE_") and k not in (
               "LD_PRELOAD", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "TMPDIR")}
    env.update(extra)
    return env


def java_major(java):
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60).stderr
    m = re.search(r'version "(\d+)', out)
    return int(m.group(1)) if m else 0


def find_java_pid(stop_file):
    """The pid (ours) of the JVM whose last argument is stop_file (behind unshare/setpriv)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[-2] == stop_file.encode() and b"AttachTarget" in argv:
            if os.path.basename(argv[0].decode()) == "java":
                return int(entry)
    return None


class Jvm:
    """AttachTarget in the background; its output collected by threads."""

    def __init__(self, args, name, command=None, env=None):
        self.stop_file = os.path.join(args.workdir, f"{name}.stop")
        if os.path.exists(self.stop_file):
            os.unlink(self.stop_file)
        if command is None:
            command = [args.java]
        self.proc = subprocess.Popen(
            command + ["-cp", args.classes, "AttachTarget", self.stop_file],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env if env is not None else jvm_env())
        started.append(self)
        self.out, self.err = [], []
        self.ready = threading.Event()
        self.readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out, True),
                             daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err, False),
                             daemon=True)]
        for reader in self.readers:
            reader.start()
        if not self.ready.wait(READY_TIMEOUT):
            self.kill()
            print(f"the JVM {name} did not start: {''.join(self.err)}")
            sys.exit(2)
        self.pid = find_java_pid(self.stop_file) or self.proc.pid

    def _read(self, stream, lines, is_stdout):
        for line in stream:
            lines.append(line)
            if is_stdout and line == "ready\n":
                self.ready.set()

    def alive(self):
        return self.proc.poll() is None

    def maps(self):
        with open(f"/proc/{self.pid}/maps") as f:
            return f.read()

    def finish(self):
        """Tells the JVM to stop; returns (exit code, stdout, stderr)."""
        with open(self.stop_file, "w"):
            pass
        try:
            code = self.proc.wait(timeout=READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            code = None
        for reader in self.readers:  # until the end of the pipes
            reader.join(READY_TIMEOUT)
        return code, "".join(self.out), "".join(self.err)

    def kill(self):
        if self.proc.poll() is None and getattr(self, "pid", self.proc.pid) != self.proc.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)  # the JVM behind unshare
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def attach(args, pid, *options, user=None):
    command = [args.leakscope, "attach", str(pid), *options]
    if user:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups"] + command
    r = subprocess.run(command, capture_output=True, text=True, timeout=CLIENT_TIMEOUT)
    print(f"$ {' '.join(command)}\n  -> {r.returncode} out={r.stdout!r} err={r.stderr!r}",
          flush=True)
    return r


def expect(r, code, out="", err=""):
    check(r.returncode == code, f"exit {r.returncode}, expected {code}")
    check(r.stdout == out, f"stdout {r.stdout!r}, expected {out!r}")
    check(r.stderr == err, f"stderr {r.stderr!r}, expected {err!r}")


def ends_clean(jvm, name):
    code, out, err = jvm.finish()
    check(code == 0, f"{name}: the JVM exited with {code}; stderr: {err}")
    check(out == "ready\ndone\n", f"{name}: the JVM's stdout changed: {out!r}")
    return err


def no_attach_files(pid, nspid, name):
    for where in (f"/proc/{pid}/cwd", f"/proc/{pid}/root/tmp"):
        check(not os.path.exists(f"{where}/.attach_pid{nspid}"),
              f"{name}: an attach file was left in {where}")


def no_trace_of_attach(pid, nspid, name):
    check(not os.path.exists(f"/proc/{pid}/root/tmp/.java_pid{nspid}"),
          f"{name}: the JVM opened its attach socket")
    no_attach_files(pid, nspid, name)


def proc_state(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("State:"):
                return line.split()[1]
    return ""


def nspid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    return pid


def group_basic(args, library, major):
    jvm = Jvm(args, "basic")
    pid = jvm.pid
    dumps = os.path.join(args.workdir, "dumps")

    # A load the JVM refuses: its reason, one line; nothing of it stays in the JVM.
    r = attach(args, pid, "--lib", args.leakscope)
    prefix = f"leakscope attach: the JVM refused to load {args.leakscope}: {args.leakscope}: "
    check(r.returncode == 1 and r.stdout == "", f"refused load: exit {r.returncode}")
    check(r.stderr.startswith(prefix) and r.stderr.count("\n") == 1 and
          "cannot dynamically load position-independent executable" in r.stderr,
          f"refused load: {r.stderr!r}")
    check(args.leakscope not in jvm.maps(), "refused load: the executable is mapped")
    no_attach_files(pid, pid, "refused load")

    if os.geteuid() == 0:
        r = attach(args, pid, "--interval", "5s", user="nobody")
        expect(r, 1, err=f"leakscope attach: permission denied: process {pid} runs as uid 0; "
                         "run leakscope attach as that user or as root\n")
        check("libleakscope" not in jvm.maps(), "no permission: the library is mapped")
    else:
        print("note: not root: the other-user case is not run")

    # The JVM's socket exists now (the refused load opened it): --stop must not use it.
    r = attach(args, pid, "--stop")
    expect(r, 1, err=f"leakscope attach: leakscope is not loaded in process {pid}: "
                     "nothing to stop\n")

    r = attach(args, pid, "--dir", dumps, "--interval", "5s", "--sample-bytes", "4096")
    expect(r, 0, out=f"attached to {pid}: dumps go to {dumps} every 5s\n")
    check(f" {library}\n" in jvm.maps(), f"attach: {library} is not mapped in the JVM")

    # Again: already recording, where the status file says if there is one.
    status = f"/tmp/leakscope-{os.geteuid()}/leakscope.{pid}.status"
    had_status = os.path.exists(status)
    r = attach(args, pid, "--dir", "/elsewhere")
    check(r.returncode == 0 and r.stderr == "", f"again: exit {r.returncode}, {r.stderr!r}")
    if had_status:
        with open(status) as f:
            wanted = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        check(r.stdout.startswith(f"process {pid} is already recording") and
              f": dumps go to {wanted.get('dir')}; nothing changed\n" in r.stdout,
              f"again: {r.stdout!r}")
    elif not os.path.exists(status):
        check(r.stdout == f"process {pid} is already recording: dump directory unknown "
                          f"(no status file of pid {pid}); nothing changed\n",
              f"again: {r.stdout!r}")
    check(jvm.maps().count(f" {library}\n") >= 1, "again: the library is gone")

    r = attach(args, pid, "--stop")
    expect(r, 0, out=f"asked process {pid} to stop recording: its recorder writes a final dump\n")
    check(jvm.alive(), "stop: the JVM ended")

    err = ends_clean(jvm, "basic")
    warning = JEP451_WARNING.format(lib=library)
    if major >= 21:
        # Once per library, although it was loaded twice (attach, --stop).
        check(err.count(warning) == 1, f"JDK {major}: no single JEP 451 warning in {err!r}")
    else:
        check("WARNING: A JVM TI agent" not in err, f"JDK {major}: a warning: {err!r}")


def group_jep451(args, library, major):
    if major < 21:
        print(f"note: JDK {major} has no JEP 451 warning")
        return
    jvm = Jvm(args, "jep451", command=[args.java, "-XX:+EnableDynamicAgentLoading"])
    r = attach(args, jvm.pid, "--interval", "5s")
    expect(r, 0, out=f"attached to {jvm.pid}: dumps go to the JVM user's default directory "
                     "every 5s\n")
    err = ends_clean(jvm, "jep451")
    check("WARNING" not in err, f"-XX:+EnableDynamicAgentLoading: a warning: {err!r}")


def group_refusals(args, library, major):
    sleeper = subprocess.Popen(["sleep", "300"])
    try:
        r = attach(args, sleeper.pid)
        expect(r, 1, err=f"leakscope attach: process {sleeper.pid} (sleep) is not a HotSpot JVM: "
                         "no libjvm.so is mapped in it; nothing done\n")
        time.sleep(0.2)
        check(sleeper.poll() is None, "not a JVM: the process ended")
    finally:
        sleeper.kill()
        sleeper.wait()

    for name, command, env, where in (
            ("disabled", [args.java, "-XX:+DisableAttachMechanism"], None, "its command line"),
            ("disabled_env", [args.java],
             jvm_env(JAVA_TOOL_OPTIONS="-XX:+DisableAttachMechanism"), "its JAVA_TOOL_OPTIONS")):
        jvm = Jvm(args, name, command=command, env=env)
        r = attach(args, jvm.pid, "--interval", "5s")
        expect(r, 1, err=f"leakscope attach: process {jvm.pid} was started with "
                         f"-XX:+DisableAttachMechanism (in {where}): it accepts no agent while "
                         "it runs; nothing done\n")
        no_trace_of_attach(jvm.pid, jvm.pid, name)
        ends_clean(jvm, name)  # no thread dump: no SIGQUIT was sent

    # A stopped JVM would take the SIGQUIT when continued, after the attach file is gone: a
    # thread dump on its stdout. Refused.
    jvm = Jvm(args, "stopped")
    os.kill(jvm.pid, signal.SIGSTOP)
    deadline = time.monotonic() + READY_TIMEOUT
    while proc_state(jvm.pid) != "T" and time.monotonic() < deadline:
        time.sleep(0.02)
    r = attach(args, jvm.pid)
    os.kill(jvm.pid, signal.SIGCONT)
    expect(r, 1, err=f"leakscope attach: process {jvm.pid} is stopped (State T); continue it "
                     "first; nothing done\n")
    no_trace_of_attach(jvm.pid, jvm.pid, "stopped")
    ends_clean(jvm, "stopped")

    # -Xrs: the listener starts with the JVM (its socket is there), and SIGQUIT is not handled.
    # With the socket removed (a /tmp cleaner), a SIGQUIT would end the JVM: refused.
    jvm = Jvm(args, "xrs", command=[args.java, "-Xrs"])
    socket_path = f"/tmp/.java_pid{jvm.pid}"
    deadline = time.monotonic() + READY_TIMEOUT
    while not os.path.exists(socket_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    if check(os.path.exists(socket_path), "-Xrs: the JVM has no attach socket"):
        os.unlink(socket_path)
    r = attach(args, jvm.pid)
    expect(r, 1, err=f"leakscope attach: process {jvm.pid} is not listening for attaching and "
                     "does not handle SIGQUIT (started with -Xrs, still starting, or with SIGQUIT "
                     "ignored): the signal would end it; nothing done\n")
    time.sleep(0.5)
    check(jvm.alive(), "-Xrs: the JVM ended")
    no_trace_of_attach(jvm.pid, jvm.pid, "xrs")
    ends_clean(jvm, "xrs")


def group_container(args, library, major):
    if os.geteuid() != 0:
        skip("the container group needs root (unshare, mount)")
    probe = subprocess.run(["unshare", "-m", "-p", "-f", "--mount-proc", "true"],
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        skip(f"no pid and mount namespaces here: {probe.stderr!r}")

    # Its own pid and mount namespaces, a private /tmp, and this build's lib directory hidden.
    libdir = os.path.dirname(library)
    script = ('mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs "$1" && shift && '
              'exec "$@"')
    jvm = Jvm(args, "container", command=[
        "unshare", "-m", "-p", "-f", "--mount-proc", "--propagation", "private",
        "sh", "-c", script, "sh", libdir, args.java])
    pid, nspid = jvm.pid, nspid_of(jvm.pid)
    check(nspid != pid, f"container: the JVM's pid {pid} is the same in its namespace")
    dumps = os.path.join(args.workdir, "container-dumps")
    r = attach(args, pid, "--dir", dumps, "--interval", "5s")
    expect(r, 0, out=f"attached to {pid}: dumps go to {dumps} every 5s\n")
    m = re.search(r" (/tmp/leakscope-0/libleakscope-[0-9a-f]{8}-(\d+)\.so)\n", jvm.maps())
    if check(m, f"container: no copy of the library mapped:\n{jvm.maps()}"):
        copy = f"/proc/{pid}/root{m.group(1)}"
        st = os.stat(copy)
        check(stat.S_IMODE(st.st_mode) == 0o500 and st.st_uid == 0,
              f"container: the copy has mode {oct(st.st_mode)}, owner {st.st_uid}")
        with open(copy, "rb") as a, open(library, "rb") as b:
            check(a.read() == b.read(), "container: the copy differs from the library")
        check(stat.S_IMODE(os.stat(os.path.dirname(copy)).st_mode) == 0o700,
              "container: the copy's directory is not 0700")
    check(os.path.exists(f"/proc/{pid}/root/tmp/.java_pid{nspid}"),
          "container: no socket named with the JVM's own pid in its /tmp")
    r = attach(args, pid)
    check(r.returncode == 0 and r.stdout.startswith(f"process {pid} is already recording"),
          f"container again: {r.stdout!r} {r.stderr!r}")
    r = attach(args, pid, "--stop")
    expect(r, 0, out=f"asked process {pid} to stop recording: its recorder writes a final dump\n")
    no_attach_files(pid, nspid, "container")
    ends_clean(jvm, "container")

    # A JVM of user nobody attached by nobody: no switch of user; its working directory (ours)
    # is not writable by it, so the attach file goes to /tmp.
    nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    jvm = Jvm(args, "nobody", command=nobody + [args.java])
    r = attach(args, jvm.pid, "--interval", "5s", user="nobody")
    expect(r, 0, out=f"attached to {jvm.pid}: dumps go to the JVM user's default directory "
                     "every 5s\n")
    check(f" {library}\n" in jvm.maps(), "nobody: the library is not mapped")
    no_attach_files(jvm.pid, jvm.pid, "nobody")
    ends_clean(jvm, "nobody")

    # User nobody, root in its own user namespace: host root is nobody there, so only a client
    # acting as the JVM's user owns an attach file and a connection the JVM accepts.
    probe = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                            "unshare", "-U", "-r", "true"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        print(f"note: no unprivileged user namespaces: the user-namespace case is not run")
        return
    jvm = Jvm(args, "userns", command=nobody + ["unshare", "-U", "-r", args.java])
    r = attach(args, jvm.pid, "--interval", "5s")
    expect(r, 0, out=f"attached to {jvm.pid}: dumps go to the JVM user's default directory "
                     "every 5s\n")
    check("libleakscope" in jvm.maps(), "userns: the library is not mapped")
    ends_clean(jvm, "userns")


GROUPS = {"basic": group_basic, "jep451": group_jep451, "refusals": group_refusals,
          "container": group_container}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", required=True)
    parser.add_argument("--java", required=True)
    parser.add_argument("--classes", required=True)
    parser.add_argument("--leakscope", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    if not os.access(args.java, os.X_OK):
        skip(f"no java at {args.java}")
    if not os.path.exists(os.path.join(args.classes, "AttachTarget.class")):
        skip(f"AttachTarget is not built in {args.classes}")
    args.leakscope = os.path.abspath(args.leakscope)
    args.classes = os.path.abspath(args.classes)
    os.makedirs(args.workdir, exist_ok=True)
    args.workdir = os.path.abspath(args.workdir)
    library = os.path.realpath(os.path.join(os.path.dirname(args.leakscope), "..", "lib",
                                            "libleakscope.so"))
    major = java_major(args.java)
    print(f"JDK {major}: {args.java}", flush=True)
    try:
        for group in args.group.split(","):
            print(f"== {group}", flush=True)
            GROUPS[group](args, library, major)
    finally:
        for jvm in started:
            jvm.kill()
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("passed")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)
    sys.exit(main())

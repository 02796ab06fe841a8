# SPDX-License-Identifier: Apache-2.0
"""What the bench needs before it measures: the packages it runs, and the targets it builds."""
import os
import shutil
import subprocess
import sys

from .measure import BenchError, note, tail_lines


def find_jemalloc():
    """The x86-64 libjemalloc.so.2 that ldconfig knows, or ""."""
    listing = subprocess.run(["ldconfig", "-p"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout
    for line in listing.splitlines():
        if "libjemalloc.so.2 " in line and "x86-64" in line:
            return line.split()[-1]
    return ""


def _installed(package):
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return "ok installed" in status


def install_missing(ctx):
    want = []
    for command, package in (("cmake", "cmake"), ("ninja", "ninja-build"), ("c++", "g++"),
                             ("pkg-config", "pkg-config"), ("heaptrack", "heaptrack")):
        if not shutil.which(command):
            want.append(package)
    if not find_jemalloc():
        want.append("libjemalloc2")
    if ctx.wants("jvm") and not shutil.which("javac"):
        want.append("default-jdk-headless")
    if ctx.do_build:
        packages = ["libunwind-dev", "libabsl-dev", "libxxhash-dev", "libdw-dev", "libelf-dev",
                    "zlib1g-dev", "libgtest-dev"]
        if ctx.wants("micro"):
            packages.append("libbenchmark-dev")
        want += [p for p in packages if not _installed(p)]
    if not want:
        return
    note("installing " + " ".join(want))
    sudo = [] if os.getuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if (subprocess.run(sudo + ["apt-get", "update", "-qq"]).returncode != 0
            or subprocess.run(sudo + ["apt-get", "install", "-y", "-qq"] + want, env=env,
                              stdout=subprocess.DEVNULL).returncode != 0):
        raise BenchError("could not install " + " ".join(want))


def _ninja_targets(build_dir):
    listing = subprocess.run(["ninja", "-C", build_dir, "-t", "targets", "all"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return {line.split(":")[0] for line in listing.splitlines()}


def _logged(command, log, mode, failure, tail):
    """Runs command with its output in log; on failure shows the log's last lines and stops."""
    with open(log, mode) as f:
        ok = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT).returncode == 0
    if not ok:
        sys.stderr.write("".join(tail_lines(log, tail)))
        raise BenchError(failure)


def build(ctx):
    """Configures the build directory if needed and builds only the targets the sections run:
    a half-written area elsewhere does not block them."""
    configure_log = os.path.join(ctx.build_dir, "bench-configure.log")
    if not os.path.isfile(os.path.join(ctx.build_dir, "build.ninja")):
        _logged(["cmake", "-S", ctx.repo, "-B", ctx.build_dir, "-G", "Ninja"], configure_log, "w",
                "configure failed", 20)
    # A build directory configured before Google Benchmark or a JDK was installed lacks their
    # targets: configure it again.
    have = _ninja_targets(ctx.build_dir)
    if ((ctx.wants("micro") and "recorder_micro" not in have)
            or (ctx.wants("jvm") and shutil.which("javac") and "streaming_job" not in have)):
        _logged(["cmake", ctx.build_dir], configure_log, "a", "configure failed", 20)
    targets = ["timed_run", "leakscope_preload", "dump_memory"]
    for section, names in (("churn", ["churn"]), ("memory", ["recorder_memory"]),
                           ("micro", ["recorder_micro", "malloc_pairs"]), ("dump", ["dump_stall"]),
                           ("trend", ["make_scale_dumps", "leakscope"]),
                           ("fleet", ["make_fleet_dumps", "leakscope"]),
                           ("suspects", ["slow_leak", "leakscope"])):
        if ctx.wants(section):
            targets += names
    # The JVM demo is a target only where CMake found javac 17+ (examples/CMakeLists.txt).
    if ctx.wants("jvm") and "streaming_job" in _ninja_targets(ctx.build_dir):
        targets.append("streaming_job")
    log = os.path.join(ctx.build_dir, "bench-build.log")
    _logged(["ninja", "-C", ctx.build_dir, "-j2"] + targets, log, "w",
            "build failed (log: %s)" % log, 30)


def check_built(ctx):
    need = [ctx.bin("timed_run"), ctx.bin("dump_memory")]
    for section, names in (("churn", ["churn"]), ("memory", ["recorder_memory"]),
                           ("micro", ["recorder_micro", "malloc_pairs"]), ("dump", ["dump_stall"]),
                           ("trend", ["make_scale_dumps", "leakscope"]),
                           ("fleet", ["make_fleet_dumps", "leakscope"]),
                           ("suspects", ["slow_leak", "leakscope"])):
        if ctx.wants(section):
            need += [ctx.bin(n) for n in names]
    for path in need:
        if not os.access(path, os.X_OK):
            raise BenchError("%s missing (build the bench targets, or drop --no-build)" % path)
    ctx.have_preload = os.path.isfile(ctx.preload)
    if not ctx.have_preload:
        note("WARNING: %s missing: the leakscope configurations are skipped" % ctx.preload)

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scripts/soak-jvm's options, without running a JVM: the cells --list prints on each
architecture (the x86-64 matrix must stay what it was before --arch), the refusals, and
tests/jvm/jvm_e2e.py's --chroot path rule. Exit status 0 when every check holds."""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOAK = os.path.join(HERE, "..", "..", "scripts", "soak-jvm")
E2E = os.path.join(HERE, "jvm_e2e.py")
failed = []


def run(*argv):
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True)


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failed.append(name)


def cells(*options):
    proc = run(SOAK, "--list", *options)
    if proc.returncode != 0:
        return None, proc.stderr.strip()
    return [line.split() for line in proc.stdout.splitlines()], ""


x86, err = cells()
check("x86-64 default matrix", x86 is not None and len(x86) == 384
      and {c[0] for c in x86} == {"openjdk17", "temurin25"}
      and x86[0] == "openjdk17 g1 128m nofp tiered off deopt 1".split(),
      f"{len(x86)} cells, first {x86[0]}" if x86 else err)

arm, err = cells("--arch", "aarch64")
check("arm64 default matrix: the root's one JDK", arm is not None and len(arm) == 192
      and {c[0] for c in arm} == {"openjdk17"}, f"{len(arm)} cells" if arm else err)

chosen, err = cells("--arch", "aarch64", "--config", "g1", "--config", "xcomp", "--workload",
                    "deopt", "--heap", "128m", "--heap", "256m")
want = [f"openjdk17 g1 {heap} nofp {jit} {agent} deopt 1".split()
        for jit in ("tiered", "xcomp") for heap in ("128m", "256m") for agent in ("off", "on")]
check("arm64 soak cells (docs/soak.md)", chosen == want,
      f"{[' '.join(c) for c in chosen]}" if chosen is not None else err)

sample, err = cells("--sample", "30", "--seed", "5")
check("the CI sample draws 30 cells", sample is not None and len(sample) == 30,
      f"{len(sample)} cells" if sample is not None else err)

for argv, message in ((["--root", "/nonexistent"], "--root and --tarball are for --arch aarch64"),
                      (["--tarball", "x.tar.gz"], "--root and --tarball are for --arch aarch64"),
                      (["--arch", "sparc"], "unknown architecture sparc")):
    proc = run(SOAK, "--list", *argv)
    check(f"soak-jvm {' '.join(argv)} refused", proc.returncode == 2 and message in proc.stderr,
          f"exit {proc.returncode}, stderr {proc.stderr.strip()!r}")

proc = run(E2E, "safety", "--chroot", "/nonexistent", "--java", "/usr/bin/java", "--classes",
           "/c", "--preload", "/p.so", "--leakscope", "/l", "--workdir", "relative/work")
check("jvm_e2e.py --chroot wants paths inside the root", proc.returncode == 2
      and "paths are absolute inside the root: --workdir" in proc.stderr,
      f"exit {proc.returncode}, stderr {proc.stderr.strip()[-200:]!r}")

sys.exit(1 if failed else 0)

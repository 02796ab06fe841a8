# SPDX-License-Identifier: Apache-2.0
"""The allocator configurations that churn and jvm compare, and how a command runs under each."""
import glob
import os
import shutil

# Names as they appear in RESULTS.md's "Every run" lists, in the order they run in a round.
WITH_PRELOAD = ["leakscope-default", "leakscope-exact"]
OTHERS = ["heaptrack", "jemalloc", "jemalloc-prof"]

_DESCRIPTIONS = {
    "glibc": "plain glibc malloc",
    "leakscope-default": "leakscope, default sampling",
    "leakscope-agent": "leakscope, default sampling + JVMTI agent (Java frames)",
    "leakscope-exact": "leakscope, every allocation (LEAKSCOPE_SAMPLE_BYTES=1)",
    "leakscope-routed": "leakscope as the JVMTI agent alone, no LD_PRELOAD: calls routed through "
                        "GOT slots, as after `leakscope attach`",
    "heaptrack": "heaptrack (whole command: recording, interpretation, compression)",
    "jemalloc": "jemalloc alone",
    "jemalloc-prof": "jemalloc profiling, 1 sample per 128 KiB",
}

JEMALLOC_PROF = "MALLOC_CONF=prof:true,lg_prof_sample:17"


def describe(config):
    return _DESCRIPTIONS.get(config, "")


def command(ctx, config, program):
    """program (a list) run under config; "glibc" and "plain" run it as it is. The JVMTI agent
    goes right after the java binary, program[0]."""
    ls_env = ["env"] + ctx.leakscope_env()
    if config in ("glibc", "plain"):
        return list(program)
    if config == "leakscope-default":
        return ls_env + program
    if config == "leakscope-agent":
        return ls_env + [program[0], "-agentpath:" + ctx.preload] + program[1:]
    if config == "leakscope-routed":
        env = [e for e in ls_env if not e.startswith("LD_PRELOAD=")]
        return env + [program[0], "-agentpath:" + ctx.preload] + program[1:]
    if config == "leakscope-exact":
        return ls_env + ["LEAKSCOPE_SAMPLE_BYTES=1"] + program
    if config == "heaptrack":
        return ["heaptrack", "-o", ctx.t("heaptrack")] + program
    if config == "jemalloc":
        return ["env", "LD_PRELOAD=" + ctx.jemalloc] + program
    if config == "jemalloc-prof":
        return ["env", "LD_PRELOAD=" + ctx.jemalloc, JEMALLOC_PROF] + program
    raise ValueError(config)


def remove_heaptrack_files(ctx):
    """Removes heaptrack's trace files of the last run, which would fill the temporary directory."""
    for f in glob.glob(ctx.t("heaptrack.*")):
        if os.path.isdir(f) and not os.path.islink(f):
            shutil.rmtree(f)
        else:
            os.unlink(f)

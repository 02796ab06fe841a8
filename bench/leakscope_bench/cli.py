# SPDX-License-Identifier: Apache-2.0
"""Options, the run's shared state (Context), and the order of the sections."""
import os
import re
import shutil
import sys
import tempfile

from . import results, setup
from .measure import BenchError, note
from .sections import churn, dump, fleet, jvm, memory, micro, suspects, trend

SECTIONS = {"churn": churn, "memory": memory, "micro": micro, "dump": dump, "trend": trend,
            "fleet": fleet, "suspects": suspects, "jvm": jvm}


class Context:
    """What every section needs: the options, the built programs and the temporary directory."""

    def __init__(self, repo):
        self.repo = repo
        self.build_dir = os.path.join(repo, "build")
        self.out = os.path.join(repo, "bench", "RESULTS.md")
        self.runs = None
        self.runs_given = None
        self.allocs = None
        self.threads = "2"
        self.quick = False
        self.only = "all"
        self.do_build = True
        self.jemalloc = ""
        self.have_preload = False
        self.tmp = None

    def wants(self, section):
        """Whether this invocation runs section."""
        return self.only in ("all", section)

    def bin(self, name):
        return os.path.join(self.build_dir, "bin", name)

    @property
    def preload(self):
        return os.path.join(self.build_dir, "lib", "libleakscope.so")

    @property
    def dumps(self):
        return os.path.join(self.tmp, "dumps")

    def t(self, name):
        """A path in the temporary directory."""
        return os.path.join(self.tmp, name)

    def leakscope_env(self):
        """The env words that put a command under the recorder, dumping only at exit."""
        return ["LD_PRELOAD=" + self.preload, "LEAKSCOPE_DIR=" + self.dumps,
                "LEAKSCOPE_INTERVAL=0"]

    def hide_tmp(self, line):
        return line.replace(self.tmp, "$TMP")


class UsageError(Exception):
    pass


def parse_args(ctx, args):
    i = 0
    while i < len(args):
        arg = args[i]

        def value():
            if i + 1 >= len(args) or args[i + 1] == "":
                raise BenchError("%s needs a value" % arg)
            return args[i + 1]

        if arg == "--quick":
            ctx.quick = True
        elif arg in ("--only", "--runs", "--allocs", "--threads", "--build-dir", "--out"):
            v = value()
            i += 1
            if arg == "--only":
                ctx.only = v
            elif arg == "--runs":
                ctx.runs = v
            elif arg == "--allocs":
                ctx.allocs = v
            elif arg == "--threads":
                ctx.threads = v
            elif arg == "--build-dir":
                ctx.build_dir = v
            else:
                ctx.out = v
        elif arg == "--no-build":
            ctx.do_build = False
        elif arg in ("-h", "--help"):
            raise UsageError()
        else:
            print("bench: unknown argument: " + arg, file=sys.stderr)
            raise UsageError()
        i += 1
    if ctx.only != "all" and ctx.only not in SECTIONS:
        raise BenchError("--only takes churn, memory, micro, dump, trend, fleet, suspects or jvm")
    ctx.runs_given = ctx.runs
    if ctx.runs is None:
        ctx.runs = "3" if ctx.quick else "5"
    if ctx.allocs is None:
        ctx.allocs = "2000000" if ctx.quick else "8000000"
    for name in ("runs", "allocs", "threads"):
        if not re.fullmatch(r"[1-9][0-9]*", getattr(ctx, name)):
            raise BenchError("--%s takes a positive number" % name)
    ctx.runs = int(ctx.runs)
    if ctx.runs_given is not None:
        ctx.runs_given = int(ctx.runs_given)
    os.makedirs(ctx.build_dir, exist_ok=True)
    ctx.build_dir = os.path.realpath(ctx.build_dir)
    out_dir = os.path.dirname(ctx.out) or "."
    if not os.path.isdir(out_dir):
        raise BenchError("no directory for " + ctx.out)
    ctx.out = os.path.join(os.path.realpath(out_dir), os.path.basename(ctx.out))


def main(args, usage, repo):
    ctx = Context(repo)
    try:
        parse_args(ctx, args)
    except UsageError:
        sys.stderr.write(usage.lstrip("\n"))
        return 2
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        return 1
    # The caller's allocator settings would silently change every configuration.
    for var in list(os.environ):
        if var in ("LD_PRELOAD", "MALLOC_CONF", "GLIBC_TUNABLES", "MALLOC_ARENA_MAX") \
                or var.startswith("LEAKSCOPE_"):
            del os.environ[var]
    try:
        setup.install_missing(ctx)
        ctx.jemalloc = setup.find_jemalloc()
        if not ctx.jemalloc:
            raise BenchError("libjemalloc.so.2 not found after installing libjemalloc2")
        if ctx.do_build:
            setup.build(ctx)
        setup.check_built(ctx)
        ctx.tmp = tempfile.mkdtemp(prefix="leakscope-bench.", dir="/tmp")
        try:
            os.mkdir(ctx.t("run"))
            os.mkdir(ctx.dumps)
            # Every command runs here, so stray output files (jeprof.*, core) stay in the temp dir.
            os.chdir(ctx.t("run"))
            for name, section in SECTIONS.items():
                if ctx.wants(name):
                    results.merge_section(ctx.out, name, section.run(ctx))
        finally:
            os.chdir("/")
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    except BenchError as e:
        if e.args and e.args[0]:
            print("bench: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    note("wrote " + ctx.out)
    return 0

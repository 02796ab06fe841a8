#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `leakscope run` on a JVM: -agentpath:LIB goes right after the java binary (named java, on
# PATH or as a path), not for other commands, not with --no-java-frames, and not when the
# command loads the recorder as an agent already. A fake bin/java prints its arguments, so no
# JDK is needed.
# Usage: run_java_args.sh LEAKSCOPE WORKDIR
set -eu
leakscope=$1
work=$2
rm -rf "$work"
mkdir -p "$work/jdk/bin" "$work/dumps"
printf '#!/bin/sh\nprintf "%%s\\n" "$@"\n' > "$work/jdk/bin/java"
chmod +x "$work/jdk/bin/java"
cp "$work/jdk/bin/java" "$work/jdk/bin/notjava"
: > "$work/libfake.so"
lib=$(cd "$work" && pwd)/libfake.so

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
run() {
  "$leakscope" run --dir "$work/dumps" --lib "$lib" "$@" 2> "$work/err"
}

out=$(run -- "$work/jdk/bin/java" -cp x Main)
[ "$out" = "$(printf '%s\n' "-agentpath:$lib" -cp x Main)" ] || fail "path to bin/java: $out"
grep -q "with Java frames (-agentpath)" "$work/err" || fail "no message: $(cat "$work/err")"

out=$(PATH="$work/jdk/bin:$PATH" run -- java -version)
[ "$out" = "$(printf '%s\n' "-agentpath:$lib" -version)" ] || fail "java on PATH: $out"

out=$(run --no-java-frames -- "$work/jdk/bin/java" -cp x Main)
[ "$out" = "$(printf '%s\n' -cp x Main)" ] || fail "--no-java-frames: $out"

out=$(run -- "$work/jdk/bin/java" "-agentpath:/x/libleakscope.so" Main)
[ "$out" = "$(printf '%s\n' -agentpath:/x/libleakscope.so Main)" ] || fail "agent given twice: $out"

out=$(run -- "$work/jdk/bin/notjava" -cp x)
[ "$out" = "$(printf '%s\n' -cp x)" ] || fail "not a JVM: $out"
echo "ok"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A simulated YARN container running PROGRAM with exactly the settings `leakscope spark-conf
# --yarn` prints, launched the way Hadoop's launch_container.sh launches an executor:
# - the spark.executorEnv.* variables (LD_PRELOAD=./libleakscope.so among them) are exported
#   first, in a clean environment with LOG_DIRS listing the container's log directory first;
# - then every localized resource is linked into the working directory with `ln -sf` (the
#   application jar before the library, spark's conf directory after it), the script is copied
#   into the log directory (`cp`, `chmod`) and the directory listed (`find`), all with the
#   preload already in the environment, their stderr going to prelaunch.err;
# - then `exec /bin/bash -c "$JAVA_HOME/bin/java ... 1>stdout 2>stderr"`. PROGRAM is installed
#   as $JAVA_HOME/bin/java: the executor's JVM, by the name the process filter looks for.
# Only the "JVM" may record (LEAKSCOPE_PROCESS=java): one process's dumps, in the first LOG_DIRS
# entry and nowhere else; bash, ln, cp, chmod and find pass straight through. The ld.so errors
# that --files cannot avoid (from each `ln` up to the one that links the library) are the only
# lines in prelaunch.err. `leakscope trend` over the log root must see one process and rank
# PROGRAM's leak (LeakOneBatch) first. Then the way back: the dumps wrapped as
# `yarn logs -out` writes them (one file per container, text headers around each file, a
# leftover temporary of the recorder among them, as the old unanchored pattern collected),
# `leakscope unpack` (skipping the temporary, from a directory and from standard input), and
# the same trend.
# Usage: yarn_container_test.sh LEAKSCOPE PROGRAM WORKDIR
set -eu
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
leakscope=$(absolute "$1") program=$(absolute "$2") work=$3
. "$(dirname "$0")/spark_conf_args.sh"
rm -rf "$work"
app=application_1700000000000_0001
container=container_1700000000000_0001_01_000002
logs=$work/nm/logs/$app/$container
other=$work/nm/other-logs/$app/$container
cwd=$work/nm/local/usercache/spark/appcache/$app/$container
cache=$work/nm/local/usercache/spark/filecache/10
jdk=$work/jdk
mkdir -p "$logs" "$other" "$cwd" "$cache" "$jdk/bin" "$cache/__spark_conf__"
cp "$program" "$jdk/bin/java"
echo 'application jar' > "$cache/app.jar"

"$leakscope" spark-conf --yarn --interval 500ms > "$work/spark-conf.txt"
spark_conf_args "$work/spark-conf.txt" > "$work/args"
set --
library=
expect=option
while IFS= read -r arg; do
  case $expect in
    option) expect=$arg ;;
    --files)
      # YARN copies the file into a filecache; the launch script links it (below).
      cp "$arg" "$cache/"
      library=$(basename "$arg")
      expect=option ;;
    --conf)
      case $arg in
        spark.executorEnv.*) set -- "$@" "${arg#spark.executorEnv.}" ;;
        *) fail "unexpected --conf $arg for YARN (no JVM option may be needed)" ;;
      esac
      expect=option ;;
  esac
done < "$work/args"
[ $# -gt 0 ] || fail "no spark.executorEnv settings in the spark-conf output"
[ -n "$library" ] || fail "spark-conf shipped no library with --files"

# launch_container.sh, as the NodeManager writes it.
{
  echo '#!/bin/bash'
  echo 'set -o pipefail -e'
  echo 'exec 2>"$LOG_DIR/prelaunch.err"'
  for setting in "$@"; do echo "export ${setting%%=*}=\"${setting#*=}\""; done
  echo "ln -sf -- \"$cache/app.jar\" \"__app__.jar\""
  echo "ln -sf -- \"$cache/$library\" \"$library\""
  echo "ln -sf -- \"$cache/__spark_conf__\" \"__spark_conf__\""
  echo 'cp "launch_container.sh" "$LOG_DIR/launch_container.sh"'
  echo 'chmod 640 "$LOG_DIR/launch_container.sh"'
  echo 'find -L . -maxdepth 5 -ls > "$LOG_DIR/directory.info"'
  echo "exec /bin/bash -c \"\$JAVA_HOME/bin/java -server -Xmx1g 1>\$LOG_DIR/stdout 2>\$LOG_DIR/stderr\""
} > "$cwd/launch_container.sh"

# The container: a clean environment as the NodeManager builds it.
(
  cd "$cwd"
  env -i PATH=/usr/bin:/bin HOME="$cwd" PWD="$cwd" LOG_DIRS="$logs,$other" LOG_DIR="$logs" \
    JAVA_HOME="$jdk" /bin/bash launch_container.sh
) || fail "the container failed: $(cat "$logs/prelaunch.err" "$logs/stderr" 2>&1)"

grep -q 'RATE' "$logs/stdout" || fail "no output from the executor"
if grep -q -e 'leakscope:' -e 'ld.so' -e 'error while loading' "$logs/stderr"; then
  fail "the recorder complained: $(cat "$logs/stderr")"
fi
# With --files, the `ln` commands up to the one that links the library (app.jar's and the
# library's own) cannot load it: ld.so says so, once each. Nothing after the link may complain.
expected_err="ERROR: ld.so: object './$library' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored."
[ "$(cat "$logs/prelaunch.err")" = "$(printf '%s\n%s' "$expected_err" "$expected_err")" ] ||
  fail "prelaunch.err is not just the two unavoidable ld.so lines: $(cat "$logs/prelaunch.err")"
grep -q 'launch_container.sh' "$logs/directory.info" || fail "find did not run"
dumps=$(ls "$logs" | grep -c '^leakscope\.[0-9]*\.[0-9]*\.dump$' || true)
[ "$dumps" -ge 3 ] || fail "expected several dumps in $logs, found $dumps: $(ls "$logs")"
pids=$(ls "$logs" | sed -n 's/^leakscope\.\([0-9]*\)\.[0-9]*\.dump$/\1/p' | sort -u)
[ "$(echo "$pids" | wc -l)" -eq 1 ] ||
  fail "dumps of several processes (only the JVM may record): $(ls "$logs")"
[ -z "$(ls -A "$other")" ] || fail "dumps in the second LOG_DIRS entry: $(ls "$other")"
if ls "$cwd" | grep -q 'leakscope\..*\.dump'; then fail "dumps in the working directory"; fi
echo "ok: $dumps dumps in the container log directory $logs"

# first_suspect FILE: the allocating caller of the first leak suspect of a trend text output.
first_suspect() {
  sed -n '/^Leak suspects/,$p' "$1" | grep -m1 '^    > #' || true
}
"$leakscope" trend -q "$work/nm/logs" > "$work/trend.txt" 2> "$work/trend.err" ||
  fail "leakscope trend failed: $(cat "$work/trend.err")"
first_suspect "$work/trend.txt" | grep -q LeakOneBatch ||
  fail "LeakOneBatch is not the first suspect: $(cat "$work/trend.txt")"
grep -q '^Processes: 1 ' "$work/trend.txt" || fail "trend saw other processes: $(cat "$work/trend.txt")"
echo "ok: trend over the log directories ranks LeakOneBatch first, of the one process recorded"

# Log aggregation and `yarn logs -out yarn-dumps`: one file per container holding every matched
# log file, each behind the headers Hadoop's LogToolUtils writes. stdout rides along to show
# that text between dumps is skipped.
node=node-1.example_8041
mkdir -p "$work/yarn-dumps/$node"
wrapped=$work/yarn-dumps/$node/$container
: > "$wrapped"
# A leftover temporary, as a dump being written when the logs were collected leaves it (cut in
# half), listed as Hadoop lists hidden files: it must be skipped, not reported as damaged.
first=$(cd "$logs" && ls leakscope.*.dump | head -1)
pid=${first#leakscope.}
temporary=.leakscope.${pid%%.*}.999.dump.tmp
head -c "$(($(wc -c < "$logs/$first") / 2))" "$logs/$first" > "$work/$temporary"
for file in stdout $(cd "$logs" && ls leakscope.*.dump) "$temporary"; do
  [ -f "$logs/$file" ] || cp "$work/$file" "$logs/$file"
  header="Container: $container on node-1.example:8041"
  {
    echo "$header"
    echo "LogAggregationType: AGGREGATED"
    echo "$header" | tr -c '\n' '='
    echo "LogType:$file"
    echo "LogLastModifiedTime:Tue Nov 14 22:13:20 +0000 2023"
    echo "LogLength:$(wc -c < "$logs/$file")"
    echo "LogContents:"
    cat "$logs/$file"
    echo
    echo "End of LogType:$file"
    echo "**********************************************************************"
    echo
  } >> "$wrapped"
done
rm "$logs/$temporary"
"$leakscope" unpack "$work/yarn-dumps" -o "$work/dumps" 2> "$work/unpack.err" ||
  fail "leakscope unpack failed: $(cat "$work/unpack.err")"
grep -q "^leakscope unpack: $wrapped: $temporary: skipped" "$work/unpack.err" ||
  fail "unpack did not name the skipped temporary: $(cat "$work/unpack.err")"
# `yarn logs` without -out writes to standard output: unpack reads it from a pipe.
cat "$wrapped" | "$leakscope" unpack - -o "$work/dumps-stdin" 2> "$work/unpack-stdin.err" ||
  fail "leakscope unpack - failed: $(cat "$work/unpack-stdin.err")"
for dump in "$logs"/leakscope.*.dump; do
  cmp -s "$dump" "$work/dumps-stdin/$container/$(basename "$dump")" ||
    fail "unpack - did not restore $(basename "$dump") into dumps-stdin/$container"
done
for dump in "$logs"/leakscope.*.dump; do
  cmp -s "$dump" "$work/dumps/$container/$(basename "$dump")" ||
    fail "unpack did not restore $(basename "$dump") into dumps/$container"
done
unpacked=$(ls "$work/dumps/$container" | wc -l)
[ "$unpacked" -eq "$dumps" ] || fail "unpack wrote $unpacked files, expected $dumps"
"$leakscope" trend -q "$work/dumps" > "$work/trend-unpacked.txt" ||
  fail "leakscope trend over the unpacked dumps failed"
first_suspect "$work/trend-unpacked.txt" | grep -q LeakOneBatch ||
  fail "LeakOneBatch is not the first suspect after unpack: $(cat "$work/trend-unpacked.txt")"
echo "ok: yarn logs output unpacked byte for byte ($unpacked dumps); trend ranks LeakOneBatch first"

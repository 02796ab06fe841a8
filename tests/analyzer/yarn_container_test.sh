#!/bin/sh
# A simulated YARN container running PROGRAM with exactly the settings `leakscope spark-conf
# --yarn` prints: --files localized into a filecache and linked into the container's working
# directory, the spark.executorEnv.* variables in the environment, LOG_DIRS listing the
# container's log directory first and LEAKSCOPE_DIR unset, stdout and stderr redirected into the
# log directory as YARN's launch script does. The dumps must land in the first LOG_DIRS entry,
# where log aggregation finds them, and nowhere else; `leakscope trend` over the log root must
# rank PROGRAM's leak (LeakOneBatch) first. Then the way back: the dumps wrapped as `yarn logs
# -out` writes them (one file per container, text headers around each file), `leakscope unpack`,
# and the same trend.
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
mkdir -p "$logs" "$other" "$cwd" "$cache"

"$leakscope" spark-conf --yarn --interval 500ms > "$work/spark-conf.txt"
spark_conf_args "$work/spark-conf.txt" > "$work/args"
set --
expect=option
while IFS= read -r arg; do
  case $expect in
    option) expect=$arg ;;
    --files)
      # YARN copies the file into a filecache and links it into the working directory.
      cp "$arg" "$cache/"
      ln -s "$cache/$(basename "$arg")" "$cwd/$(basename "$arg")"
      expect=option ;;
    --conf)
      case $arg in
        spark.executorEnv.*) set -- "$@" "${arg#spark.executorEnv.}" ;;
        # The JVMTI agent, for a JVM's Java frames: no JVM in this container.
        spark.executor.extraJavaOptions=-agentpath:./*) ;;
        *) fail "unexpected --conf $arg for YARN" ;;
      esac
      expect=option ;;
  esac
done < "$work/args"
[ $# -gt 0 ] || fail "no spark.executorEnv settings in the spark-conf output"

# The container: a clean environment as the NodeManager builds it.
(
  cd "$cwd"
  env -i PATH=/usr/bin:/bin HOME="$cwd" PWD="$cwd" LOG_DIRS="$logs,$other" "$@" \
    "$program" > "$logs/stdout" 2> "$logs/stderr"
) || fail "$program failed in the container: $(cat "$logs/stderr")"

grep -q 'RATE' "$logs/stdout" || fail "no output from $program"
if grep -q -e 'leakscope:' -e 'ld.so' -e 'error while loading' "$logs/stderr"; then
  fail "the recorder complained: $(cat "$logs/stderr")"
fi
dumps=$(ls "$logs" | grep -c '^leakscope\.[0-9]*\.[0-9]*\.dump$' || true)
[ "$dumps" -ge 3 ] || fail "expected several dumps in $logs, found $dumps: $(ls "$logs")"
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
echo "ok: trend over the log directories ranks LeakOneBatch first"

# Log aggregation and `yarn logs -out yarn-dumps`: one file per container holding every matched
# log file, each behind the headers Hadoop's LogToolUtils writes. stdout rides along to show
# that text between dumps is skipped.
node=node-1.example_8041
mkdir -p "$work/yarn-dumps/$node"
wrapped=$work/yarn-dumps/$node/$container
: > "$wrapped"
for file in stdout $(cd "$logs" && ls leakscope.*.dump); do
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
"$leakscope" unpack "$work/yarn-dumps" -o "$work/dumps" 2> "$work/unpack.err" ||
  fail "leakscope unpack failed: $(cat "$work/unpack.err")"
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

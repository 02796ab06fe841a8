#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `leakscope spark-conf` output parsed back: the option lines, read by sh as when pasted into a
# spark-submit command, are only --files FILE and --conf KEY=VALUE; every key is a Spark key
# leakscope means to set (spark.executorEnv.*, executor hostPath volumes); every file and the
# library LD_PRELOAD names exist; the recorder settings are the ones asked for. The
# spark-defaults.conf form says the same.
# Usage: spark_conf_parse_back.sh LEAKSCOPE WORKDIR
set -eu
leakscope=$1 work=$2
. "$(dirname "$0")/spark_conf_args.sh"
rm -rf "$work"
mkdir -p "$work"

# check_submit NAME INTERVAL SAMPLE_BYTES SPARK-CONF-OPTIONS...: checks one output.
check_submit() {
  name=$1 interval=$2 sample=$3
  shift 3
  out=$work/$name.txt
  "$leakscope" spark-conf "$@" > "$out" || fail "$name: spark-conf $* failed"
  grep -v -e '^#' -e '^$' "$out" > "$work/$name.options"
  while IFS= read -r line; do
    case $line in
      --files\ *\ \\ | --conf\ *\ \\) ;;
      *) fail "$name: not a '--files F \\' or '--conf K=V \\' line: $line" ;;
    esac
  done < "$work/$name.options"
  spark_conf_args "$out" > "$work/$name.args"
  : > "$work/$name.conf"
  files="" expect=option
  while IFS= read -r arg; do
    case $expect in
      option)
        case $arg in
          --files | --conf) expect=$arg ;;
          *) fail "$name: unexpected argument '$arg'" ;;
        esac ;;
      --files)
        case $arg in /*) ;; *) fail "$name: --files $arg is not absolute" ;; esac
        [ -f "$arg" ] || fail "$name: --files $arg does not exist"
        files="$files $arg" expect=option ;;
      --conf)
        key=${arg%%=*} value=${arg#*=}
        [ "$key" != "$arg" ] || fail "$name: --conf $arg has no '='"
        [ -n "$value" ] || fail "$name: --conf $arg has an empty value"
        case $key in
          spark.executorEnv.*) env=${key#spark.executorEnv.}
            case $env in
              *[!A-Za-z0-9_]* | [0-9]*) fail "$name: bad environment variable name in $key" ;;
            esac ;;
          spark.kubernetes.executor.volumes.hostPath.*.mount.path | \
          spark.kubernetes.executor.volumes.hostPath.*.mount.readOnly | \
          spark.kubernetes.executor.volumes.hostPath.*.options.path)
            volume=${key#spark.kubernetes.executor.volumes.hostPath.}
            volume=${volume%%.*}
            # Kubernetes volume names are DNS labels.
            case $volume in
              *[!a-z0-9-]* | -* | *-) fail "$name: volume name '$volume' is not a DNS label" ;;
            esac ;;
          *) fail "$name: $key is not a key leakscope sets" ;;
        esac
        grep -q "^$key=" "$work/$name.conf" && fail "$name: $key given twice"
        printf '%s=%s\n' "$key" "$value" >> "$work/$name.conf"
        expect=option ;;
    esac
  done < "$work/$name.args"
  [ "$expect" = option ] || fail "$name: $expect without a value"
  conf() { sed -n "s|^$1=||p" "$work/$name.conf"; }
  [ "$(conf spark.executorEnv.LEAKSCOPE_INTERVAL)" = "$interval" ] ||
    fail "$name: LEAKSCOPE_INTERVAL is not $interval"
  [ "$(conf spark.executorEnv.LEAKSCOPE_SAMPLE_BYTES)" = "$sample" ] ||
    fail "$name: LEAKSCOPE_SAMPLE_BYTES is not $sample"
  preload=$(conf spark.executorEnv.LD_PRELOAD)
  [ -n "$preload" ] || fail "$name: no LD_PRELOAD"
  # No JVM option (a missing -agentpath library stops the JVM): the preloaded library joins the
  # JVM by itself, unless --no-java-frames turns Java frames off in the recorder. Only the JVM
  # records, not the launch script's commands.
  [ "$(conf spark.executorEnv.LEAKSCOPE_PROCESS)" = java ] || fail "$name: LEAKSCOPE_PROCESS is not java"
  case " $* " in
    *" --no-java-frames "*) [ "$(conf spark.executorEnv.LEAKSCOPE_JAVA_STACKS)" = 0 ] ||
      fail "$name: LEAKSCOPE_JAVA_STACKS is not 0 with --no-java-frames" ;;
    *) [ -z "$(conf spark.executorEnv.LEAKSCOPE_JAVA_STACKS)" ] ||
      fail "$name: LEAKSCOPE_JAVA_STACKS is set" ;;
  esac
  # Every volume has both ends.
  for volume in $(sed -n 's/^spark\.kubernetes\.executor\.volumes\.hostPath\.\([^.]*\)\..*/\1/p' \
                    "$work/$name.conf" | sort -u); do
    prefix=spark.kubernetes.executor.volumes.hostPath.$volume
    [ -n "$(conf "$prefix.mount.path")" ] || fail "$name: volume $volume has no mount.path"
    [ -n "$(conf "$prefix.options.path")" ] || fail "$name: volume $volume has no options.path"
  done
  # The library the loader will open: a shipped file, a volume's host file, or --lib.
  case $preload in
    ./*)
      found=""
      for f in $files; do [ "$(basename "$f")" = "${preload#./}" ] && found=$f; done
      [ -n "$found" ] || fail "$name: LD_PRELOAD=$preload is not one of the --files:$files" ;;
    /*)
      host=$preload
      for volume in $(sed -n 's/^spark\.kubernetes\.executor\.volumes\.hostPath\.\([^.]*\)\..*/\1/p' \
                        "$work/$name.conf" | sort -u); do
        prefix=spark.kubernetes.executor.volumes.hostPath.$volume
        mount=$(conf "$prefix.mount.path")
        case $preload in "$mount"/*) host=$(conf "$prefix.options.path")${preload#"$mount"} ;; esac
      done
      [ -f "$host" ] || fail "$name: LD_PRELOAD=$preload ($host on the node) does not exist" ;;
    *) fail "$name: LD_PRELOAD=$preload is neither ./FILE nor absolute" ;;
  esac
  # The spark-defaults.conf form: the same settings, --files as spark.yarn.dist.files.
  "$leakscope" spark-conf --properties "$@" > "$work/$name.properties"
  grep -v -e '^#' -e '^$' "$work/$name.properties" | sort > "$work/$name.properties.got"
  {
    sed 's/=/ /' "$work/$name.conf"
    [ -z "$files" ] || echo "spark.yarn.dist.files $(echo $files | tr ' ' ',')"
  } | sort > "$work/$name.properties.want"
  cmp -s "$work/$name.properties.got" "$work/$name.properties.want" ||
    fail "$name: --properties differs from the submit options: $(diff "$work/$name.properties.want" "$work/$name.properties.got")"
  echo "ok: $name ($(wc -l < "$work/$name.conf") --conf)"
}

lib=$(cd "$(dirname "$leakscope")/../lib" && pwd)/libleakscope.so
check_submit yarn 60s 128K
check_submit yarn-options 2s 1 --yarn --interval 2s --sample-bytes 1
check_submit yarn-lib 60s 128K --lib "$lib" --dir /var/tmp/leakscope
check_submit k8s 60s 128K --k8s
check_submit k8s-options 5m 64K --k8s --dir /data/leakscope --interval 5m --sample-bytes 64K
check_submit k8s-lib 60s 128K --k8s --lib "$lib"
check_submit yarn-no-java 60s 128K --no-java-frames

# The YARN default leaves LEAKSCOPE_DIR unset (the container log directory is used); Kubernetes
# gives each executor its own directory on the volume.
grep -q LEAKSCOPE_DIR "$work/yarn.conf" && fail "yarn: LEAKSCOPE_DIR is set"
grep -qx 'spark.executorEnv.LEAKSCOPE_DIR=/leakscope/$(SPARK_APPLICATION_ID)-$(SPARK_EXECUTOR_ID)' \
  "$work/k8s.conf" || fail "k8s: LEAKSCOPE_DIR is not per executor"
grep -qx 'spark.kubernetes.executor.volumes.hostPath.leakscope.options.path=/data/leakscope' \
  "$work/k8s-options.conf" || fail "k8s-options: --dir is not the volume's host path"
# The recorder needs nothing beyond glibc, so no other library is named for the nodes.
grep -q 'libunwind' "$work/yarn.txt" && fail "yarn: names libunwind, which the recorder no longer needs"
"$leakscope" spark-conf --yarn --format json | grep -q '"needed_libraries": \[\]' ||
  fail "yarn: needed_libraries is not empty"

# Bad options are usage errors.
for bad in "--yarn --k8s" "--interval 10ms" "--sample-bytes 0" "--dir relative" \
           "--lib relative.so" "--format xml" "extra"; do
  # shellcheck disable=SC2086
  if "$leakscope" spark-conf $bad > /dev/null 2>&1; then fail "spark-conf $bad succeeded"; fi
  # shellcheck disable=SC2086
  "$leakscope" spark-conf $bad > /dev/null 2>&1 || [ $? -eq 2 ] || fail "spark-conf $bad: not 2"
done
echo "ok: bad options"

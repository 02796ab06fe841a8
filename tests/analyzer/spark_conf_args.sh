# SPDX-License-Identifier: Apache-2.0
# Sourced by the spark-conf tests. spark_conf_args FILE: the option lines of `leakscope
# spark-conf` output in FILE, read by sh exactly as when pasted into a spark-submit command,
# printed one argument per line (no argument holds a newline).
spark_conf_args() {
  {
    printf "printf '%%s\\\\n' \\\\\n"
    grep -v -e '^#' -e '^$' "$1"
    echo
  } > "$1.sh"
  sh "$1.sh"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

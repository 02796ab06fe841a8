#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates the golden dumps and expected outputs after an intended change.
# Usage: tests/analyzer/update_golden.sh BUILD_DIR   (e.g. build; needs make_golden_dumps built)
# Review the result with `git diff tests/analyzer/golden` before committing.
set -eu
build=$(cd "${1:?usage: update_golden.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")"
rm -f golden/*.dump
"$build/bin/make_golden_dumps" golden
mkdir -p golden_java
rm -f golden_java/*.dump
"$build/bin/make_java_golden_dumps" golden_java
grep -v '^#' golden/cases.txt | while read -r name args; do
  [ -n "$name" ] || continue
  # shellcheck disable=SC2086
  # JSON names the analyzer's version, which changes with every commit (run_golden.cmake too).
  "$build/bin/leakscope" $args 2> "golden/$name.err" |
    sed 's/"leakscope_version": "[^"]*"/"leakscope_version": "VERSION"/' > "golden/$name.out"
done
echo "updated $(ls golden/*.out | wc -l) golden outputs in $(pwd)/golden"

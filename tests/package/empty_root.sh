#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bin/leakscope runs in a root directory that holds nothing but itself and a dump: no libc, no
# ld.so, no /etc, no /usr/share/zoneinfo. What scripts/check-glibc-floor says, shown by running:
# such a binary runs on any x86-64 Linux, whatever its glibc. Skipped (77) without the rights
# to chroot (root, or a user namespace).
# Usage: empty_root.sh LEAKSCOPE DUMP WORKDIR
set -eu
leakscope=$1 dump=$2 root=$3
rm -rf "$root"
mkdir -p "$root"
cp "$leakscope" "$root/leakscope"
cp "$dump" "$root/test.dump"
if [ "$(id -u)" = 0 ]; then
  enter="chroot $root"
elif unshare -r true 2>/dev/null; then
  enter="unshare -r chroot $root"
else
  echo "empty_root.sh: cannot chroot here; skipped"
  exit 77
fi
# shellcheck disable=SC2086
version=$($enter /leakscope --version)
# shellcheck disable=SC2086
$enter /leakscope report --format json /test.dump >"$root/report.json" 2>"$root/report.err"
expected='    "recorder_version": "0.1.0 (git 1a2b3c4)",'
if ! grep -qxF "$expected" "$root/report.json"; then
  echo "report in the empty root lacks '$expected':"
  cat "$root/report.err" "$root/report.json"
  exit 1
fi
case $version in
  "leakscope "*) ;;
  *) echo "leakscope --version in the empty root printed '$version'"; exit 1 ;;
esac
rm -rf "$root"

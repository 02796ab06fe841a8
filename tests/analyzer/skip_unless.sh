#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs a test command, or exits 77 (CTest's "skipped") when what it needs is missing:
#   skip_unless.sh file PATH -- COMMAND...     (PATH must exist)
#   skip_unless.sh program NAME -- COMMAND...  (NAME must be on PATH)
kind=$1 what=$2
shift 3
case $kind in
  file) [ -e "$what" ] || { echo "$what not built yet; skipped"; exit 77; } ;;
  program) command -v "$what" >/dev/null || { echo "$what not found; skipped"; exit 77; } ;;
esac
exec "$@"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The hottest hooks call nothing but tail calls and build no stack frame (hot_path.h): their slow
# paths are out of line (hooks_malloc.cc). GCC 12 set up a frame on entry to malloc, free and
# calloc on AArch64 (19 + 27 instructions per unsampled malloc and free, against 12 + 19 without)
# while it shrink-wrapped the same code on x86-64, so a change that looks harmless on one
# architecture can cost on the other. Checks the built library's disassembly.
#   hooks_need_no_frame.sh OBJDUMP LIBRARY
# Exit 0: none of the hooks makes a call or touches the stack pointer; 1: one does (printed).
set -u
objdump=$1
library=$2
listing=$("$objdump" -d --no-show-raw-insn "$library") || exit 1
status=0
for hook in malloc free calloc; do
  # The hook's instructions: "addr:<TAB>mnemonic<TAB>operands" lines up to the blank line.
  body=$(printf '%s\n' "$listing" | awk -v name="<$hook>:" '
    $2 == name { on = 1; next }
    on && NF == 0 { exit }
    on { print }')
  if [ -z "$body" ]; then
    echo "$hook: not found in $library"
    status=1
    continue
  fi
  # A call (x86-64 call; AArch64 bl, blr) or any use of the stack pointer (push, pop, %rsp; sp)
  # means a frame. Tail calls are jmp, b and br.
  framed=$(printf '%s\n' "$body" | awk -F'\t' '
    $2 ~ /^(call|push|pop|bl|blr)/ || $3 ~ /%rsp|(^|[^a-z])sp([^a-z]|$)/ { print }')
  if [ -n "$framed" ]; then
    echo "$hook builds a stack frame or calls out of its fast path:"
    printf '%s\n' "$framed"
    status=1
  fi
done
exit $status

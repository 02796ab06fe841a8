// SPDX-License-Identifier: Apache-2.0
// A dump's label ("batch 1742"): the first line of the trigger file that requested the dump,
// cleaned the same way by the recorder, which stores it in the dump (kLabel, dump_format.h), and
// by `leakscope dump`, which must recognise the dump it asked for by it.
//
// No allocation: the recorder cleans the label on its dumper thread into a fixed buffer.
#pragma once

#include <cstddef>

namespace leakscope::dump_label {

// Longer first lines are cut (at a UTF-8 character boundary) to this many bytes.
inline constexpr size_t kMaxBytes = 256;

// Writes the label that `size` bytes of trigger file content give into out (kMaxBytes + 1
// bytes: the label and a NUL) and returns its length; 0 means no label (an empty file or an
// empty first line). The label is the first line (up to '\n', without a '\r' before it), cut to
// kMaxBytes, with every control character (below 0x20, and 0x7f) replaced by '?': a label is
// printed in terminals and file names must not be able to carry escape sequences. Other bytes,
// UTF-8 included, are kept; output formats escape what they must (docs/json.md, Strings).
size_t CleanLabel(const char* bytes, size_t size, char* out);

}  // namespace leakscope::dump_label

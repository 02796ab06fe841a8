// SPDX-License-Identifier: Apache-2.0
#include "dump_label.h"

namespace leakscope::dump_label {

size_t CleanLabel(const char* bytes, size_t size, char* out) {
  size_t line = 0;
  while (line < size && bytes[line] != '\n') ++line;
  if (line > 0 && bytes[line - 1] == '\r') --line;  // a line ended "\r\n" (Windows tools)
  size_t length = line;
  if (length > kMaxBytes) {
    length = kMaxBytes;
    // Never end inside a UTF-8 sequence: while the first byte left out continues a character,
    // leave that character out whole (bytes[length] exists: the line is longer).
    while (length > 0 && (static_cast<unsigned char>(bytes[length]) & 0xc0) == 0x80) --length;
  }
  for (size_t i = 0; i < length; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    out[i] = (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  }
  out[length] = '\0';
  return length;
}

}  // namespace leakscope::dump_label

// SPDX-License-Identifier: Apache-2.0
#include "output/text_escape.h"

#include "absl/strings/str_format.h"

namespace leakscope::analyzer {

size_t Utf8SequenceAt(std::string_view text, size_t at, uint32_t* code_point) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[at + i]); };
  uint8_t lead = byte(0);
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  }
  size_t length;
  uint32_t value, min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, value = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, value = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return 0;  // a continuation byte or 0xF8-0xFF
  }
  if (text.size() - at < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *code_point = value;
  return length;
}

bool IsUnsafeCodePoint(uint32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

namespace {

void Append(std::string_view text, bool keep_lines, std::string* out) {
  for (size_t at = 0; at < text.size();) {
    uint32_t c;
    size_t length = Utf8SequenceAt(text, at, &c);
    if (length == 0) {
      absl::StrAppendFormat(out, "\\x%02x", static_cast<uint8_t>(text[at]));
      at += 1;
      continue;
    }
    if (keep_lines && (c == '\n' || c == '\t')) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x80 && IsUnsafeCodePoint(c)) {
      absl::StrAppendFormat(out, "\\x%02x", c);
    } else if (IsUnsafeCodePoint(c)) {
      absl::StrAppendFormat(out, "\\u%04x", c);
    } else {
      out->append(text.substr(at, length));
    }
    at += length;
  }
}

bool NeedsEscape(std::string_view text, bool keep_lines) {
  for (char ch : text) {
    auto c = static_cast<uint8_t>(ch);
    if (c >= 0x80 || c == 0x7F || (c < 0x20 && !(keep_lines && (c == '\n' || c == '\t')))) {
      return true;  // non-ASCII needs the full check
    }
  }
  return false;
}

}  // namespace

std::string EscapeText(std::string_view text) {
  if (!NeedsEscape(text, /*keep_lines=*/false)) return std::string(text);
  std::string out;
  Append(text, /*keep_lines=*/false, &out);
  return out;
}

void EscapeTextOutput(std::string* text) {
  if (!NeedsEscape(*text, /*keep_lines=*/true)) return;
  std::string out;
  out.reserve(text->size());
  Append(*text, /*keep_lines=*/true, &out);
  text->swap(out);
}

}  // namespace leakscope::analyzer

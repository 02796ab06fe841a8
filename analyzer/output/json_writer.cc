// SPDX-License-Identifier: Apache-2.0
#include "output/json_writer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "output/text_escape.h"

namespace leakscope::analyzer {

void AppendJsonString(std::string_view value, std::string* out) {
  out->push_back('"');
  for (size_t at = 0; at < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[at]);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x80) {
          if (c < 0x20 || c == 0x7f) {
            absl::StrAppendFormat(out, "\\u%04x", c);
          } else {
            out->push_back(static_cast<char>(c));
          }
          break;
        }
        // JSON must be UTF-8 (RFC 8259), but names may be any bytes: a byte that is not part
        // of valid UTF-8 is read as Latin-1 (a Latin-1 file name, "caf\xe9.txt", comes out
        // as "café.txt"), and controls are escaped whatever their encoding.
        uint32_t code_point;
        size_t length = Utf8SequenceAt(value, at, &code_point);
        if (length == 0) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else if (IsUnsafeCodePoint(code_point) || code_point == 0x2028 || code_point == 0x2029) {
          absl::StrAppendFormat(out, "\\u%04x", code_point);
        } else {
          out->append(value.substr(at, length));
        }
        at += length == 0 ? 1 : length;
        continue;
    }
    ++at;
  }
  out->push_back('"');
}

void JsonWriter::Newline() {
  out_->push_back('\n');
  out_->append(2 * stack_.size(), ' ');
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level& level = stack_.back();
  if (!level.empty) out_->append(level.inline_ ? ", " : ",");
  if (!level.inline_) Newline();
  level.empty = false;
}

void JsonWriter::Begin(char bracket, bool inline_) {
  BeforeValue();
  out_->push_back(bracket);
  bool parent_inline = !stack_.empty() && stack_.back().inline_;
  stack_.push_back(Level{inline_ || parent_inline, true});
}

void JsonWriter::End(char bracket) {
  Level level = stack_.back();
  stack_.pop_back();
  if (!level.inline_ && !level.empty) Newline();
  out_->push_back(bracket);
  if (stack_.empty()) out_->push_back('\n');
}

void JsonWriter::BeginObject(bool inline_) { Begin('{', inline_); }
void JsonWriter::EndObject() { End('}'); }
void JsonWriter::BeginArray(bool inline_) { Begin('[', inline_); }
void JsonWriter::EndArray() { End(']'); }

void JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(key, out_);
  out_->append(": ");
  after_key_ = true;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  AppendJsonString(value, out_);
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(out_, value);
}

void JsonWriter::UInt(uint64_t value) {
  BeforeValue();
  absl::StrAppend(out_, value);
}

void JsonWriter::Double(double value, int digits) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_->append("null");
    return;
  }
  std::string text = absl::StrFormat("%.*f", digits, value);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  out_->append(text);
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
}

void JsonWriter::FieldStrings(std::string_view key, std::span<const std::string> values,
                              bool inline_) {
  Key(key);
  BeginArray(inline_);
  for (const std::string& value : values) String(value);
  EndArray();
}

}  // namespace leakscope::analyzer

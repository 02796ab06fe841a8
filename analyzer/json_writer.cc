#include "json_writer.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace leakscope {

void AppendJsonString(std::string_view value, std::string* out) {
  out->push_back('"');
  for (unsigned char c : value) {
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
        if (c < 0x20 || c == 0x7f) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          // Bytes >= 0x80 pass through: names are UTF-8 (or at worst opaque bytes).
          out->push_back(static_cast<char>(c));
        }
    }
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

}  // namespace leakscope

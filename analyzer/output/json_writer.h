// SPDX-License-Identifier: Apache-2.0
// A small streaming JSON writer: indented output, with containers that can be written on one
// line (frames), and correct string escaping. Keys are written in the order given, so output is
// stable for golden files and diffs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope::analyzer {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  // `inline_` writes the container and everything inside it on one line.
  void BeginObject(bool inline_ = false);
  void EndObject();
  void BeginArray(bool inline_ = false);
  void EndArray();
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void UInt(uint64_t value);
  // Finite numbers with up to `digits` digits after the point, trailing zeros removed.
  void Double(double value, int digits = 3);
  void Bool(bool value);
  void Null();

  // Shorthands for a key followed by a value.
  void Field(std::string_view key, std::string_view value) { Key(key), String(value); }
  void Field(std::string_view key, const char* value) { Key(key), String(value); }
  void FieldUInt(std::string_view key, uint64_t value) { Key(key), UInt(value); }
  void FieldInt(std::string_view key, int64_t value) { Key(key), Int(value); }
  void FieldDouble(std::string_view key, double value, int digits = 3) {
    Key(key), Double(value, digits);
  }
  void FieldBool(std::string_view key, bool value) { Key(key), Bool(value); }
  // The key and an array of the strings, in order.
  void FieldStrings(std::string_view key, std::span<const std::string> values,
                    bool inline_ = false);

 private:
  struct Level {
    bool inline_;
    bool empty;
  };
  void BeforeValue();
  void Newline();
  void Begin(char bracket, bool inline_);
  void End(char bracket);

  std::string* out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
};

void AppendJsonString(std::string_view value, std::string* out);

}  // namespace leakscope::analyzer

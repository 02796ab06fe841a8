// SPDX-License-Identifier: Apache-2.0
// A small JSON reader for tests that check the analyzer's JSON by its values rather than by
// its text: a test then fails when a field is wrong, not when the indentation changes.
// Strict enough for that job (RFC 8259 syntax, \u escapes to UTF-8 with surrogate pairs), not
// fast and not meant for production input.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leakscope::testing {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  // Parses the whole of `text` (surrounding white space allowed); on failure *error says where.
  static bool Parse(std::string_view text, JsonValue* out, std::string* error);

  Type type() const { return type_; }
  bool IsNull() const { return type_ == Type::kNull; }

  // Element access. A missing key or index, or a value of another type, gives a null value
  // (so a chain such as v["a"]["b"][0] never throws); Has() tells a missing key from a null.
  const JsonValue& operator[](std::string_view key) const;
  const JsonValue& operator[](size_t index) const;
  bool Has(std::string_view key) const;
  // Members of an object in the order written (duplicates kept), or elements of an array.
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  const std::vector<JsonValue>& items() const { return items_; }
  size_t size() const { return type_ == Type::kObject ? members_.size() : items_.size(); }

  // The value as a C++ type; a test failure is added when the type does not match.
  bool Bool() const;
  double Number() const;
  // The number as an unsigned integer, exactly (read from its digits, not through a double);
  // fails for fractions, exponents, negative numbers and overflow.
  uint64_t UInt() const;
  int64_t Int() const;
  const std::string& String() const;
  // An array of unsigned integers.
  std::vector<uint64_t> UInts() const;
  // The keys of an object, in order.
  std::vector<std::string> Keys() const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // a string's value, or a number's digits as written
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Parses `text` into *out; the failure message names the error and shows the text.
::testing::AssertionResult ParseJson(std::string_view text, JsonValue* out);

}  // namespace leakscope::testing

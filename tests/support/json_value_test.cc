// SPDX-License-Identifier: Apache-2.0
// The tests' JSON reader: a wrong reader would let JSON checks pass on wrong output.
#include "json_value.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace leakscope::testing {
namespace {

TEST(JsonValue, ReadsNestedValuesInOrder) {
  JsonValue v;
  ASSERT_TRUE(ParseJson(R"( {"a": [1, 18446744073709551615, -3, 2.5e1], "b": {"c": null,
      "d": true, "e": false}, "s": "x\"\\\/\n\u00e9\ud83d\ude00", "a": 0} )",
                        &v));
  EXPECT_EQ(v.Keys(), (std::vector<std::string>{"a", "b", "s", "a"}));
  EXPECT_EQ(v["a"][0].UInt(), 1u);
  EXPECT_EQ(v["a"][1].UInt(), UINT64_MAX);  // exact, not through a double
  EXPECT_EQ(v["a"][2].Int(), -3);
  EXPECT_EQ(v["a"][3].Number(), 25.0);
  EXPECT_TRUE(v["b"].Has("c"));
  EXPECT_TRUE(v["b"]["c"].IsNull());
  EXPECT_FALSE(v["b"].Has("z"));
  EXPECT_TRUE(v["b"]["d"].Bool());
  EXPECT_FALSE(v["b"]["e"].Bool());
  EXPECT_EQ(v["s"].String(), "x\"\\/\n\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(v["a"].size(), 4u);  // the first of duplicate keys
  EXPECT_TRUE(v["missing"]["deeper"][3].IsNull());
}

TEST(JsonValue, RejectsWhatIsNotJson) {
  for (const char* bad :
       {"", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "01", "1.", "-", "tru", "\"unterminated",
        "\"tab\there\"", "\"\\x\"", "\"\\ud800\"", "[1] 2", "{'a': 1}", "NaN"}) {
    JsonValue v;
    std::string error;
    EXPECT_FALSE(JsonValue::Parse(bad, &v, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

TEST(JsonValue, TypeMismatchesFailTheTest) {
  JsonValue v;
  ASSERT_TRUE(ParseJson(R"({"n": 1.5, "s": "7"})", &v));
  EXPECT_NONFATAL_FAILURE(v["n"].UInt(), "not an unsigned integer");
  EXPECT_NONFATAL_FAILURE(v["s"].UInt(), "not a number");
  EXPECT_NONFATAL_FAILURE(v["missing"].String(), "JSON value is null, not a string");
}

}  // namespace
}  // namespace leakscope::testing

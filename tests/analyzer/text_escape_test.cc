// SPDX-License-Identifier: Apache-2.0
// The printing rule for strings from a dump (text_escape.h) and the JSON writer's UTF-8 output.
#include "output/text_escape.h"

#include <gtest/gtest.h>

#include "output/json_writer.h"

namespace leakscope::analyzer {
namespace {

std::string Json(std::string_view value) {
  std::string out;
  AppendJsonString(value, &out);
  return out;
}

TEST(EscapeText, PassesPrintableAsciiAndValidUtf8) {
  EXPECT_EQ(EscapeText("java -Xmx1g App"), "java -Xmx1g App");
  EXPECT_EQ(EscapeText("caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80");
}

TEST(EscapeText, EscapesControlsInvalidBytesAndBidiOverrides) {
  EXPECT_EQ(EscapeText(std::string("\x1b[31m\a\r\n\t\x7f", 10) + std::string(1, '\0')),
            "\\x1b[31m\\x07\\x0d\\x0a\\x09\\x7f\\x00");
  EXPECT_EQ(EscapeText("caf\xe9"), "caf\\xe9");                       // Latin-1, not UTF-8
  EXPECT_EQ(EscapeText("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
  EXPECT_EQ(EscapeText("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // a surrogate
  EXPECT_EQ(EscapeText("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
  EXPECT_EQ(EscapeText("\xe2\x82"), "\\xe2\\x82");                    // cut short
  EXPECT_EQ(EscapeText("\xc2\x9b"
                       "1m"),
            "\\u009b1m");  // C1 CSI
  EXPECT_EQ(EscapeText("\xe2\x80\xae"
                       "abc"),
            "\\u202eabc");  // right-to-left override
}

TEST(EscapeTextOutput, KeepsLinesAndTabsOnly) {
  std::string text = "line 1\tok\nline\r2 \x1b]0;title\x07\n";
  EscapeTextOutput(&text);
  EXPECT_EQ(text, "line 1\tok\nline\\x0d2 \\x1b]0;title\\x07\n");
}

TEST(AppendJsonString, WritesValidUtf8WhateverTheBytes) {
  EXPECT_EQ(Json("caf\xe9.txt"), "\"caf\\u00e9.txt\"");  // Latin-1 byte read as U+00E9
  EXPECT_EQ(Json("caf\xc3\xa9"), "\"caf\xc3\xa9\"");     // UTF-8 passes
  EXPECT_EQ(Json("\xff\xfe"), "\"\\u00ff\\u00fe\"");
  EXPECT_EQ(Json("\xc2\x9b"
                 "x"),
            "\"\\u009bx\"");
  EXPECT_EQ(Json("a\xe2\x80\xa8"
                 "b"),
            "\"a\\u2028b\"");
  EXPECT_EQ(Json(std::string("\0\x1b\"\\\n", 5)), "\"\\u0000\\u001b\\\"\\\\\\n\"");
}

}  // namespace
}  // namespace leakscope::analyzer

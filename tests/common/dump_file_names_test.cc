// SPDX-License-Identifier: Apache-2.0
// The dump file names of common/dump_file_names.h: what the recorder writes, the analyzer and
// tests parse back, and nothing else.
#include "dump_file_names.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace leakscope::dump_files {
namespace {

TEST(DumpFileNames, FormatAndParseAgree) {
  char name[96];
  ASSERT_TRUE(FormatDumpName(name, sizeof(name), 4242, 17));
  EXPECT_STREQ(name, "leakscope.4242.17.dump");
  int pid = 0;
  uint64_t seq = 0;
  ASSERT_TRUE(ParseDumpName(name, &pid, &seq));
  EXPECT_EQ(pid, 4242);
  EXPECT_EQ(seq, 17u);
  ASSERT_TRUE(FormatTempName(name, sizeof(name), 7, 18446744073709551615ull));
  EXPECT_STREQ(name, ".leakscope.7.18446744073709551615.dump.tmp");
  ASSERT_TRUE(ParseTempName(name, &pid, &seq));
  EXPECT_EQ(pid, 7);
  EXPECT_EQ(seq, 18446744073709551615ull);
  EXPECT_FALSE(ParseDumpName(name, &pid, &seq)) << "a temporary is not a dump";
  ASSERT_TRUE(FormatTriggerName(name, sizeof(name), 99));
  EXPECT_STREQ(name, "leakscope.99.trigger");
  EXPECT_FALSE(ParseDumpName(name, &pid, &seq));
}

TEST(DumpFileNames, FormattingIntoTooSmallABufferFails) {
  char name[12];
  EXPECT_FALSE(FormatDumpName(name, sizeof(name), 4242, 17));
}

TEST(DumpFileNames, OnlyDigitsAPositivePidAndNothingAround) {
  int pid = -1;
  uint64_t seq = 99;
  for (const char* bad :
       {"leakscope.0.1.dump", "leakscope.-5.1.dump", "leakscope.+5.1.dump", "leakscope. 5.1.dump",
        "leakscope.5.-1.dump", "leakscope.5..dump", "leakscope..1.dump", "leakscope.5.1.dump.tmp",
        "leakscope.5.1.dumpx", "xleakscope.5.1.dump", "leakscope.5.1.dump ", "leakscope.0x5.1.dump",
        "leakscope.2147483648.1.dump", "leakscope.5.18446744073709551616.dump", "leakscope.5.dump",
        ".leakscope.5.1.dump"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseDumpName(bad, &pid, &seq));
    EXPECT_EQ(pid, -1) << "untouched on failure";
    EXPECT_EQ(seq, 99u);
  }
  EXPECT_TRUE(ParseDumpName("leakscope.2147483647.0.dump", &pid, &seq));
}

TEST(DumpFileNames, TheDefaultDirectoryFollowsAnAbsoluteTmpdir) {
  const char* old = getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  setenv("TMPDIR", "/var/tmp", 1);
  EXPECT_EQ(DefaultDumpDirectory(1000), "/var/tmp/leakscope-1000");
  setenv("TMPDIR", "relative/dir", 1);
  EXPECT_EQ(DefaultDumpDirectory(1000), "/tmp/leakscope-1000");
  unsetenv("TMPDIR");
  EXPECT_EQ(DefaultDumpDirectory(0), "/tmp/leakscope-0");
  EXPECT_EQ(PrivateDirectoryName(12), "leakscope-12");
  if (old != nullptr) setenv("TMPDIR", saved.c_str(), 1);
}

}  // namespace
}  // namespace leakscope::dump_files

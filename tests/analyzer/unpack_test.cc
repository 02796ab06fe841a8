// SPDX-License-Identifier: Apache-2.0
// Dumps found inside other files: `yarn logs` output, plain concatenations, damaged candidates
// and dumps cut by the scan's chunk boundaries.
#include "spark/unpack.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>

#include "temp_file_fixture.h"

namespace leakscope::analyzer {
namespace {

std::string EncodedDump(int64_t pid, uint64_t seq, size_t sites) {
  Dump dump;
  dump.process.fixed.pid = pid;
  dump.process.fixed.seq = seq;
  dump.process.host = "node-1";
  for (size_t i = 0; i < sites; ++i) {
    SiteInfo site;
    site.fixed.site_id = static_cast<uint32_t>(i + 1);
    site.pcs.assign(16, 0x400000 + i);
    site.fixed.depth = 16;
    dump.sites.push_back(site);
  }
  StringSink sink;
  EXPECT_TRUE(WriteDump(dump, &sink));
  return sink.bytes();
}

// One collected file as Hadoop's `yarn logs` prints it.
std::string YarnWrapped(const std::string& container, const std::string& name,
                        const std::string& bytes) {
  std::string header = "Container: " + container + " on node-1.example:8041";
  return header + "\nLogAggregationType: AGGREGATED\n" + std::string(header.size(), '=') +
         "\nLogType:" + name + "\nLogLastModifiedTime:Tue Nov 14 22:13:20 +0000 2023\nLogLength:" +
         std::to_string(bytes.size()) + "\nLogContents:\n" + bytes + "\nEnd of LogType:" + name +
         "\n" + std::string(70, '*') + "\n\n";
}

class UnpackTest : public TempFileTest {
 protected:
  std::vector<EmbeddedDump> Scan(const std::string& bytes, std::vector<std::string>* errors,
                                 std::vector<std::string>* skipped = nullptr) {
    std::string path = WriteFile("input", bytes);
    std::vector<EmbeddedDump> found;
    std::vector<std::string> ignored;
    EXPECT_TRUE(ScanEmbeddedDumps(
        path, [&](EmbeddedDump&& dump) { found.push_back(std::move(dump)); }, errors,
        skipped != nullptr ? skipped : &ignored));
    EXPECT_TRUE(skipped != nullptr || ignored.empty()) << ignored[0];
    return found;
  }
};

TEST_F(UnpackTest, FindsEveryDumpOfYarnLogsOutputWithItsContainer) {
  std::string a0 = EncodedDump(100, 0, 3), a1 = EncodedDump(100, 1, 4), b0 = EncodedDump(7, 0, 2);
  std::string input = YarnWrapped("container_1_0001_01_000002", "stdout", "batch 1 done\n") +
                      YarnWrapped("container_1_0001_01_000002", "leakscope.100.0.dump", a0) +
                      YarnWrapped("container_1_0001_01_000002", "leakscope.100.1.dump", a1) +
                      YarnWrapped("container_1_0001_01_000003", "leakscope.7.0.dump", b0);
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(input, &errors);
  EXPECT_TRUE(errors.empty()) << errors[0];
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].bytes, a0);
  EXPECT_EQ(found[0].container, "container_1_0001_01_000002");
  EXPECT_EQ(found[0].process.fixed.pid, 100);
  EXPECT_EQ(found[1].bytes, a1);
  EXPECT_EQ(found[1].process.fixed.seq, 1u);
  EXPECT_EQ(found[2].bytes, b0);
  EXPECT_EQ(found[2].container, "container_1_0001_01_000003");
  EXPECT_EQ(input.substr(found[2].offset, b0.size()), b0);
}

TEST_F(UnpackTest, ReadsPlainConcatenationsWithoutContainerNames) {
  std::string a = EncodedDump(1, 0, 1), b = EncodedDump(1, 1, 1);
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(a + b, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].container, "");
  EXPECT_EQ(found[1].offset, a.size());
}

TEST_F(UnpackTest, ReportsADamagedDumpAndKeepsTheOthers) {
  std::string good = EncodedDump(1, 0, 2), bad = EncodedDump(1, 1, 2), last = EncodedDump(1, 2, 2);
  bad[bad.size() / 2] ^= 0x40;  // caught by the checksum
  std::string cut = EncodedDump(1, 3, 2);
  cut.resize(cut.size() - 20);  // no end record
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found =
      Scan(YarnWrapped("c1", "a", good) + YarnWrapped("c1", "b", bad) +
               YarnWrapped("c1", "c", last) + YarnWrapped("c1", "d", cut),
           &errors);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].process.fixed.seq, 0u);
  EXPECT_EQ(found[1].process.fixed.seq, 2u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find(": dump at offset "), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("checksum"), std::string::npos) << errors[0];
  // What follows the cut dump reads as garbage record headers; the candidate is rejected.
  EXPECT_NE(errors[1].find(": dump at offset "), std::string::npos) << errors[1];
}

// `yarn logs -log_files_pattern 'leakscope\..*\.dump'` (Hadoop matches with find()) also
// collects the recorder's temporary of a dump being written: usually cut short. It is skipped
// and named, not reported as damaged; a damaged dump's error names its collected file.
TEST_F(UnpackTest, SkipsCollectedTemporaryFilesAndNamesTheFileOfADamagedDump) {
  std::string done = EncodedDump(42, 0, 2), writing = EncodedDump(42, 1, 2);
  std::string bad = EncodedDump(42, 2, 2);
  bad[bad.size() / 2] ^= 0x40;
  writing.resize(writing.size() / 2);
  const std::string c = "container_1_0001_01_000002";
  std::vector<std::string> errors, skipped;
  std::vector<EmbeddedDump> found = Scan(YarnWrapped(c, "leakscope.42.0.dump", done) +
                                             YarnWrapped(c, ".leakscope.42.1.dump.tmp", writing) +
                                             YarnWrapped(c, "leakscope.42.2.dump", bad),
                                         &errors, &skipped);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].bytes, done);
  EXPECT_EQ(found[0].log_file, "leakscope.42.0.dump");
  std::string input = temp_.Sub("input");
  EXPECT_EQ(skipped, (std::vector<std::string>{input + ": .leakscope.42.1.dump.tmp"}));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with(input + ": leakscope.42.2.dump of " + c + ": dump at offset "))
      << errors[0];
  EXPECT_NE(errors[0].find("checksum"), std::string::npos) << errors[0];
}

TEST(UnpackNames, TemporaryNamesAreTheRecordersHiddenTmpFiles) {
  EXPECT_TRUE(IsTemporaryName(".leakscope.42.1.dump.tmp"));
  EXPECT_TRUE(IsTemporaryName("logs/c1/.leakscope.42.1.dump.tmp"));
  EXPECT_FALSE(IsTemporaryName("leakscope.42.1.dump"));
  EXPECT_FALSE(IsTemporaryName("leakscope.42.1.dump.tmp"));  // not hidden: someone's own file
  EXPECT_FALSE(IsTemporaryName(".leakscope.42.1.dump"));
}

TEST_F(UnpackTest, FindsDumpsAcrossChunkBoundaries) {
  // Dumps larger than the 1 MiB scan chunk, and padding that puts magics and container lines
  // across chunk boundaries.
  std::vector<std::string> dumps;
  std::string input;
  for (uint64_t seq = 0; seq < 4; ++seq) {
    dumps.push_back(EncodedDump(9, seq, seq % 2 == 0 ? 9000 : 10));
    input += std::string(seq * 300'001 % (1 << 20), ' ');
    input +=
        YarnWrapped("container_9", "leakscope.9." + std::to_string(seq) + ".dump", dumps.back());
  }
  ASSERT_GT(input.size(), 2u << 20);
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(input, &errors);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(found.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(found[i].bytes, dumps[i]) << i;
    EXPECT_EQ(found[i].container, "container_9") << i;
  }
}

// Issue 13 item 12: a 32-byte block repeated (a record header of an unknown type and 16 bytes of
// payload, then a dump's file header) nests a fake dump in every other one. Each magic's record
// walk used to run through all the blocks after it: 0.3 s at 32 KB, x4 per doubling, about 70 s
// for the 512 KB here on a fast machine. Linear, it takes milliseconds; the bound below is loose
// enough for a loaded machine and still far below the quadratic time.
TEST_F(UnpackTest, ScansNestedFakeDumpsInLinearTime) {
  format::RecordHeader record{99, 0, 16};
  format::FileHeader header{};
  memcpy(header.magic, format::kMagic, sizeof(header.magic));
  header.version = format::kVersion;
  header.header_bytes = sizeof(header);
  std::string block(reinterpret_cast<const char*>(&record), sizeof(record));
  block.append(reinterpret_cast<const char*>(&header), sizeof(header));
  ASSERT_EQ(block.size(), 32u);
  std::string input;
  for (size_t i = 0; i < (512u << 10) / block.size(); ++i) input += block;
  std::string good = EncodedDump(5, 0, 3);
  input += good;  // still found after them all

  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(input, &errors);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 20.0);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].bytes, good);
  ASSERT_EQ(errors.size(), (512u << 10) / block.size());
  EXPECT_NE(errors[0].find(": dump at offset 16: truncated: the records from offset 16 lead to "
                           "no end record inside the input"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors.back().find(": dump at offset " +
                               std::to_string(input.size() - good.size() - 16) + ": "),
            std::string::npos)
      << errors.back();
}

// A fake file header whose records are a real dump's: the walk from the fake one merges into
// the real one's and reaches its end record with the right count, so the checksum must reject
// it; the real dump, whose walk is then remembered, is still found.
TEST_F(UnpackTest, AFakeHeaderOverARealDumpDoesNotHideIt) {
  std::string good = EncodedDump(6, 1, 4);
  format::FileHeader fake{};
  memcpy(fake.magic, format::kMagic, sizeof(fake.magic));
  fake.version = format::kVersion;
  fake.header_bytes = 2 * sizeof(fake);  // its records start where the real dump's do
  std::string input(reinterpret_cast<const char*>(&fake), sizeof(fake));
  input += good;
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(input, &errors);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].offset, 16u);
  EXPECT_EQ(found[0].bytes, good);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(": dump at offset 0: "), std::string::npos) << errors[0];
  EXPECT_NE(errors[0].find("checksum"), std::string::npos) << errors[0];
}

// A candidate whose walk reaches another dump's end record with the wrong record count is
// rejected before being read: the message says so.
TEST_F(UnpackTest, RejectsAnEndRecordCountingOtherRecords) {
  std::string good = EncodedDump(8, 2, 2);
  format::FileHeader fake{};
  memcpy(fake.magic, format::kMagic, sizeof(fake.magic));
  fake.version = format::kVersion;
  fake.header_bytes = sizeof(fake);
  // One unknown record wrapping the real dump's file header, then the real dump's records.
  format::RecordHeader wrap{99, 0, sizeof(format::FileHeader)};
  std::string input(reinterpret_cast<const char*>(&fake), sizeof(fake));
  input.append(reinterpret_cast<const char*>(&wrap), sizeof(wrap));
  input += good;
  std::vector<std::string> errors;
  std::vector<EmbeddedDump> found = Scan(input, &errors);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].bytes, good);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find(": dump at offset 0: the end record at offset "), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find(" records, not the "), std::string::npos) << errors[0];
}

TEST_F(UnpackTest, FindsNothingInText) {
  std::vector<std::string> errors;
  EXPECT_TRUE(Scan(YarnWrapped("c", "stdout", "LKSCDUM no dump here\n"), &errors).empty());
  EXPECT_TRUE(errors.empty());
}

}  // namespace
}  // namespace leakscope::analyzer

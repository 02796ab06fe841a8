// SPDX-License-Identifier: Apache-2.0
// The reader's contract on bad input: return false with one line saying what broke and where,
// never crash, never allocate from a size field it has not checked, and accept what later
// versions may add (unknown records, longer payloads, a longer header).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dump.h"
#include "temp_file_fixture.h"
#include "test_dump_builder.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace leakscope {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RichSampleDump;
using testing::SameDump;
using ::testing::StartsWith;

constexpr uint32_t kSettingsType = static_cast<uint32_t>(format::RecordType::kSettings);
constexpr uint32_t kProcessType = static_cast<uint32_t>(format::RecordType::kProcess);
constexpr uint32_t kModuleType = static_cast<uint32_t>(format::RecordType::kModule);
constexpr uint32_t kSiteType = static_cast<uint32_t>(format::RecordType::kSite);
constexpr uint32_t kEndType = static_cast<uint32_t>(format::RecordType::kEnd);
constexpr uint32_t kRecorderType = static_cast<uint32_t>(format::RecordType::kRecorder);

// --- Building dumps byte by byte, including ones the encoder would never write. ---

template <typename T>
std::string Bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
}

std::string Str(std::string_view s) {
  return Bytes(static_cast<uint32_t>(s.size())) + std::string(s);
}

std::string FileHeader(uint32_t version = format::kVersion, uint32_t header_bytes = 16) {
  format::FileHeader header{};
  std::memcpy(header.magic, format::kMagic, sizeof(header.magic));
  header.version = version;
  header.header_bytes = header_bytes;
  return Bytes(header);
}

std::string RecordHeader(uint32_t type, uint64_t payload_bytes) {
  format::RecordHeader header{};
  header.type = type;
  header.payload_bytes = payload_bytes;
  return Bytes(header);
}

struct RawRecord {
  uint32_t type;
  std::string payload;
};

// 16 + 70 bytes: process record with host "h", executable "e" and no arguments.
std::string ProcessPayload() {
  format::ProcessFixed fixed{};
  fixed.pid = 7;
  return Bytes(fixed) + Str("h") + Str("e") + Bytes(uint32_t{0});
}

// Appends records and a kEnd with the right count and checksum (plus `end_extra` payload bytes).
std::string Assemble(const std::vector<RawRecord>& records, std::string file_header = FileHeader(),
                     std::string_view end_extra = {}) {
  std::string bytes = file_header;
  for (const RawRecord& r : records) bytes += RecordHeader(r.type, r.payload.size()) + r.payload;
  format::EndFixed end{records.size(), XXH64(bytes.data(), bytes.size(), 0)};
  bytes +=
      RecordHeader(kEndType, sizeof(end) + end_extra.size()) + Bytes(end) + std::string(end_extra);
  return bytes;
}

// The records of a valid dump, without its kEnd.
std::vector<RawRecord> SplitRecords(const std::string& dump) {
  std::vector<RawRecord> records;
  size_t pos = sizeof(format::FileHeader);
  while (true) {
    format::RecordHeader header;
    std::memcpy(&header, dump.data() + pos, sizeof(header));
    if (header.type == kEndType) return records;
    records.push_back({header.type, dump.substr(pos + sizeof(header), header.payload_bytes)});
    pos += sizeof(header) + header.payload_bytes;
  }
}

std::string RichBytes() {
  StringSink sink;
  EXPECT_TRUE(WriteDump(RichSampleDump(), &sink));
  return sink.bytes();
}

// Parses bytes expected to be rejected and returns the error, checking it is a single line.
std::string Rejection(std::string_view bytes) {
  Dump dump;
  std::string error;
  EXPECT_FALSE(ParseDump(bytes, &dump, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

// --- Truncation and corruption ---

TEST(DumpReader, RejectsTruncationAtEveryOffset) {
  std::string bytes = RichBytes();
  for (size_t size = 0; size < bytes.size(); ++size) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
    EXPECT_THAT(Rejection(std::string_view(bytes).substr(0, size)), HasSubstr("truncated"));
  }
}

TEST(DumpReader, RejectsTruncationAtRecordBoundaryAsMissingEndRecord) {
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}});
  EXPECT_EQ(Rejection(std::string_view(bytes).substr(0, 102)),
            "truncated: no end record after 1 records (file ends at offset 102)");
}

TEST(DumpReader, RejectsCorruptedChecksum) {
  std::string bytes = RichBytes();
  bytes[bytes.size() - 1] ^= 0x40;  // The last byte of the stored XXH64.
  size_t end_offset = bytes.size() - 32;
  EXPECT_THAT(
      Rejection(bytes),
      AllOf(StartsWith("record 12 (end) at offset " + std::to_string(end_offset) + ": checksum 0x"),
            HasSubstr("of the " + std::to_string(end_offset) + " bytes before the end")));
}

TEST(DumpReader, RejectsAlteredContentThroughTheChecksum) {
  std::string bytes = RichBytes();
  size_t host = bytes.find("worker-7");
  ASSERT_NE(host, std::string::npos);
  bytes[host] = 'W';
  EXPECT_THAT(Rejection(bytes), HasSubstr("checksum"));
}

TEST(DumpReader, RejectsEveryFlippedByteTheChecksumCovers) {
  std::string bytes = RichBytes();
  // The kEnd header's `reserved` field is the one part neither checksummed nor interpreted.
  size_t end_reserved = bytes.size() - 32 + offsetof(format::RecordHeader, reserved);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i >= end_reserved && i < end_reserved + 4) continue;
    SCOPED_TRACE("byte " + std::to_string(i));
    std::string corrupt = bytes;
    corrupt[i] ^= 0x01;
    Rejection(corrupt);
  }
}

TEST(DumpReader, RejectsWrongRecordCount) {
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}});
  format::EndFixed end;
  std::memcpy(&end, bytes.data() + bytes.size() - sizeof(end), sizeof(end));
  end.record_count = 2;
  std::memcpy(bytes.data() + bytes.size() - sizeof(end), &end, sizeof(end));
  EXPECT_EQ(Rejection(bytes),
            "record 1 (end) at offset 102: record count 2 does not match the 1 records before "
            "the end record");
}

// --- File header ---

TEST(DumpReader, RejectsWrongMagic) {
  std::string bytes = RichBytes();
  bytes[0] = 'X';
  EXPECT_EQ(Rejection(bytes), "bad magic at offset 0: not a leakscope dump");
  EXPECT_EQ(Rejection("hello"), "bad magic at offset 0: not a leakscope dump");
}

TEST(DumpReader, RejectsANewerFormatVersionAsNewerNotCorrupt) {
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}}, FileHeader(4));
  EXPECT_EQ(Rejection(bytes),
            "dump format version 4 is newer than this leakscope reads (version 3): written by a "
            "later leakscope; analyze it with that leakscope or a later one");
  EXPECT_EQ(Rejection(Assemble({{kProcessType, ProcessPayload()}}, FileHeader(0))),
            "unsupported dump version 0 (this leakscope reads 1 to 3)");
}

TEST(DumpReader, NamesTheRecorderOfANewerDump) {
  // A later format whose header grew and whose records this reader cannot parse: only the
  // framing and the kRecorder record are relied on.
  std::string header = FileHeader(5, 24) + std::string(8, '\x55');
  std::string bytes = Assemble({{kProcessType, "a process record of format 5"},
                                {kRecorderType, Str("0.4.0 (git 9f8e7d6)") + "more fields"}},
                               header);
  EXPECT_EQ(Rejection(bytes),
            "dump format version 5 is newer than this leakscope reads (version 3): written by "
            "leakscope 0.4.0 (git 9f8e7d6); analyze it with that leakscope or a later one");
  // A version string that is not text, or longer than a version, is not shown.
  std::string control = Assemble({{kRecorderType, Str("0.4.0\n\x1b[31m")}}, FileHeader(4));
  EXPECT_THAT(Rejection(control), HasSubstr("written by a later leakscope;"));
  std::string long_text = Assemble({{kRecorderType, Str(std::string(300, 'v'))}}, FileHeader(4));
  EXPECT_THAT(Rejection(long_text), HasSubstr("written by a later leakscope;"));
  // A record claiming more than the file holds ends the search.
  std::string cut = FileHeader(4) + RecordHeader(kRecorderType, 1000) + Str("0.4.0");
  EXPECT_THAT(Rejection(cut), HasSubstr("written by a later leakscope;"));
}

TEST(DumpReader, ReadsTheRecorderVersionOnceOnly) {
  Dump dump;
  std::string error;
  ASSERT_TRUE(ParseDump(
      Assemble({{kProcessType, ProcessPayload()}, {kRecorderType, Str("0.1.0 (git abc1234)")}}),
      &dump, &error))
      << error;
  EXPECT_EQ(dump.recorder_version, "0.1.0 (git abc1234)");
  EXPECT_THAT(Rejection(Assemble({{kProcessType, ProcessPayload()},
                                  {kRecorderType, Str("0.1.0")},
                                  {kRecorderType, Str("0.1.0")}})),
              HasSubstr("duplicate record (the first is record 1)"));
  EXPECT_THAT(Rejection(Assemble({{kProcessType, ProcessPayload()}, {kRecorderType, "ab"}})),
              HasSubstr("(recorder)"));
}

TEST(DumpReader, RejectsHeaderBytesSmallerThanTheHeader) {
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}}, FileHeader(1, 8));
  EXPECT_EQ(Rejection(bytes), "header_bytes 8 at offset 12 is smaller than the 16-byte header");
}

TEST(DumpReader, RejectsHeaderBytesBeyondTheFile) {
  std::string bytes = FileHeader(1, 1000);
  EXPECT_EQ(Rejection(bytes), "truncated: header_bytes 1000 at offset 12 exceeds the file size 16");
}

TEST(DumpReader, AcceptsLongerFileHeaderOfALaterWriter) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}}, FileHeader(1, 24) + std::string(8, '\x55'));
  Dump dump;
  std::string error;
  ASSERT_TRUE(ParseDump(bytes, &dump, &error)) << error;
  EXPECT_EQ(dump.process.fixed.pid, 7);
  EXPECT_EQ(dump.process.host, "h");
}

// --- Records ---

TEST(DumpReader, SkipsUnknownRecordTypes) {
  std::vector<RawRecord> records = SplitRecords(RichBytes());
  records.insert(records.begin() + 2, {99, "a record from the future"});
  records.insert(records.begin() + 5, {0, ""});
  records.push_back({0x7ffffffe, std::string(300, '\xff')});
  Dump dump;
  std::string error;
  ASSERT_TRUE(ParseDump(Assemble(records), &dump, &error)) << error;
  EXPECT_TRUE(SameDump(dump, RichSampleDump()));
}

TEST(DumpReader, AcceptsExtraTrailingBytesInEveryPayload) {
  std::vector<RawRecord> records = SplitRecords(RichBytes());
  for (RawRecord& r : records) r.payload += std::string("\x01\x02\x03\x04\x05\x06\x07", 7);
  Dump dump;
  std::string error;
  ASSERT_TRUE(ParseDump(Assemble(records, FileHeader(), "later end fields"), &dump, &error))
      << error;
  EXPECT_TRUE(SameDump(dump, RichSampleDump()));
}

TEST(DumpReader, RejectsPayloadShorterThanTheFixedPart) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}, {kSettingsType, std::string(47, '\0')}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (settings) at offset 102: payload of 47 bytes is shorter than the 48-byte "
            "fixed part");
}

TEST(DumpReader, RejectsEndRecordShorterThanItsFixedPart) {
  std::string bytes = FileHeader() + RecordHeader(kProcessType, 70) + ProcessPayload() +
                      RecordHeader(kEndType, 8) + std::string(8, '\0');
  EXPECT_EQ(Rejection(bytes),
            "record 1 (end) at offset 102: payload of 8 bytes is shorter than the 16-byte fixed "
            "part");
}

TEST(DumpReader, RejectsPayloadLongerThanTheFile) {
  std::string bytes = FileHeader() + RecordHeader(kSiteType, UINT64_MAX) + std::string(100, '\0');
  EXPECT_EQ(Rejection(bytes),
            "record 0 (site) at offset 16: truncated: payload of 18446744073709551615 bytes "
            "exceeds the 100 bytes left in the file");
}

// A version-2 site: the fixed part, the ages, then the PCs.
std::string SitePayload(uint32_t depth, size_t pcs) {
  format::SiteFixed fixed{};
  fixed.site_id = 5;
  fixed.depth = depth;
  return Bytes(fixed) + Bytes(format::SiteAgesFixed{}) +
         std::string(pcs * sizeof(uint64_t), '\x11');
}

TEST(DumpReader, RejectsVersion2SiteTooShortForItsAges) {
  format::SiteFixed fixed{};
  fixed.site_id = 5;
  std::string payload = Bytes(fixed) + std::string(39, '\0');  // one byte short of the ages
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}, {kSiteType, payload}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (site) at offset 102: payload ends inside the site's ages: 39 bytes left "
            "after the fixed part, 40 needed");
}

// The same bytes are a valid site in version 1, which had no ages: its PCs follow the fixed part.
TEST(DumpReader, ReadsVersion1SitesWithoutAges) {
  format::SiteFixed fixed{};
  fixed.site_id = 5;
  fixed.depth = 2;
  fixed.alloc_count = 3;
  std::string payload = Bytes(fixed) + std::string(16, '\x22');
  Dump dump;
  std::string error;
  ASSERT_TRUE(
      ParseDump(Assemble({{kProcessType, ProcessPayload()}, {kSiteType, payload}}, FileHeader(1)),
                &dump, &error))
      << error;
  EXPECT_EQ(dump.version, 1u);
  ASSERT_EQ(dump.sites.size(), 1u);
  EXPECT_FALSE(dump.sites[0].ages_known);
  EXPECT_EQ(dump.sites[0].pcs, (std::vector<uint64_t>{0x2222222222222222u, 0x2222222222222222u}));
  // In version 2 the first 16 of those bytes would be ages, and the PCs would be missing.
  EXPECT_THAT(Rejection(Assemble({{kProcessType, ProcessPayload()}, {kSiteType, payload}})),
              HasSubstr("payload ends inside the site's ages: 16 bytes left"));
}

TEST(DumpReader, RejectsSiteDepthBeyondThePayload) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}, {kSiteType, SitePayload(9000, 2)}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (site) at offset 102: depth 9000 exceeds payload (72000 bytes of pcs, 16 "
            "left)");
}

TEST(DumpReader, RejectsSiteDepthAboveTheLimitEvenWhenThePayloadHoldsIt) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}, {kSiteType, SitePayload(4097, 4097)}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (site) at offset 102: depth 4097 exceeds the limit of 4096 frames");
}

TEST(DumpReader, AcceptsSiteAtTheDepthLimit) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}, {kSiteType, SitePayload(4096, 4096)}});
  Dump dump;
  std::string error;
  ASSERT_TRUE(ParseDump(bytes, &dump, &error)) << error;
  ASSERT_EQ(dump.sites.size(), 1u);
  EXPECT_EQ(dump.sites[0].pcs.size(), 4096u);
  EXPECT_EQ(dump.sites[0].pcs[4095], 0x1111111111111111u);
}

TEST(DumpReader, RejectsStringLengthBeyondThePayload) {
  format::ModuleFixed fixed{};
  std::string payload = Bytes(fixed) + Bytes(uint32_t{5000}) + "short";
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}, {kModuleType, payload}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (module) at offset 102: path length 5000 at offset 150 exceeds the 5 "
            "bytes left in the payload");
}

TEST(DumpReader, RejectsPayloadEndingInsideAStringLength) {
  format::ModuleFixed fixed{};
  std::string payload = Bytes(fixed) + Str("/lib/x.so") + "\x01\x00";
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}, {kModuleType, payload}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (module) at offset 102: payload ends inside build_id length at offset 163");
}

TEST(DumpReader, RejectsHugeArgcBeforeAllocatingForIt) {
  format::ProcessFixed fixed{};
  std::string payload = Bytes(fixed) + Str("") + Str("") + Bytes(uint32_t{0xffffffff}) + Str("x");
  std::string bytes = Assemble({{kProcessType, payload}});
  EXPECT_EQ(Rejection(bytes),
            "record 0 (process) at offset 16: argc 4294967295 at offset 96 exceeds what the 5 "
            "bytes left in the payload can hold");
}

TEST(DumpReader, RejectsMissingProcessRecord) {
  std::string bytes = Assemble({{kSettingsType, std::string(48, '\0')}});
  EXPECT_EQ(Rejection(bytes), "no process record before the end record at offset 80");
}

TEST(DumpReader, RejectsDuplicateProcessRecord) {
  std::string bytes =
      Assemble({{kProcessType, ProcessPayload()}, {kProcessType, ProcessPayload()}});
  EXPECT_EQ(Rejection(bytes),
            "record 1 (process) at offset 102: duplicate record (the first is record 0)");
}

TEST(DumpReader, RejectsMissingEndRecord) {
  std::string bytes = RichBytes();
  bytes.resize(bytes.size() - 32);
  EXPECT_EQ(Rejection(bytes), "truncated: no end record after 12 records (file ends at offset " +
                                  std::to_string(bytes.size()) + ")");
}

TEST(DumpReader, RejectsBytesAfterTheEndRecord) {
  std::string bytes = Assemble({{kProcessType, ProcessPayload()}});
  EXPECT_EQ(Rejection(bytes + "x"),
            "record 1 (end) at offset 102: 1 unexpected bytes after the end record, from offset "
            "134");
  // A second end record is no exception.
  EXPECT_THAT(Rejection(bytes + bytes.substr(102)), HasSubstr("32 unexpected bytes"));
}

TEST(DumpReader, RejectsRandomBytes) {
  std::mt19937_64 random(20241127);
  for (int i = 0; i < 4000; ++i) {
    std::string bytes(random() % 600, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    // Half start with a valid file header so the record parser sees them too.
    if (i % 2 == 1) bytes = FileHeader() + bytes;
    SCOPED_TRACE("input " + std::to_string(i));
    Rejection(bytes);
  }
}

TEST(DumpReader, SurvivesRandomMutationsOfAValidDump) {
  const std::string original = RichBytes();
  std::mt19937_64 random(7);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = original;
    int edits = 1 + static_cast<int>(random() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t at = random() % bytes.size();
      switch (random() % 3) {
        case 0:
          bytes[at] = static_cast<char>(random());
          break;
        case 1:  // A size field's worth of random bytes: lengths, depths, payload sizes.
          for (size_t k = at; k < std::min(bytes.size(), at + 8); ++k) {
            bytes[k] = static_cast<char>(random());
          }
          break;
        default:
          bytes.erase(at, 1 + random() % 16);
          if (bytes.empty()) bytes = "L";
          break;
      }
    }
    Dump dump;
    std::string error;
    if (!ParseDump(bytes, &dump, &error)) {
      EXPECT_FALSE(error.empty());
      EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
  }
}

TEST(DumpReader, LeavesOutputUntouchedOnFailure) {
  Dump dump;
  dump.process.host = "kept";
  std::string error;
  std::string bytes = RichBytes();
  ASSERT_FALSE(ParseDump(std::string_view(bytes).substr(0, bytes.size() - 1), &dump, &error));
  EXPECT_EQ(dump.process.host, "kept");
}

// --- ReadDumpFile ---

class ReadDumpFileTest : public TempFileTest {
 protected:
  std::string Rejected(const std::string& path) {
    Dump dump;
    std::string error;
    EXPECT_FALSE(ReadDumpFile(path, &dump, &error));
    return error;
  }
};

TEST_F(ReadDumpFileTest, ReadsAValidFile) {
  std::string path = WriteFile("leakscope.1.0.dump", RichBytes());
  Dump dump;
  std::string error;
  ASSERT_TRUE(ReadDumpFile(path, &dump, &error)) << error;
  EXPECT_TRUE(SameDump(dump, RichSampleDump()));
}

TEST_F(ReadDumpFileTest, PrefixesParseErrorsWithThePath) {
  std::string bytes = RichBytes();
  std::string path = WriteFile("cut.dump", std::string_view(bytes).substr(0, 100));
  EXPECT_THAT(Rejected(path), StartsWith(path + ": record 0 (process) at offset 16: truncated"));
}

TEST_F(ReadDumpFileTest, ReportsMissingFile) {
  std::string path = dir_ + "/nope.dump";
  EXPECT_EQ(Rejected(path), path + ": cannot open: No such file or directory");
}

TEST_F(ReadDumpFileTest, ReportsDirectory) {
  EXPECT_EQ(Rejected(dir_), dir_ + ": is a directory, not a dump file");
}

TEST_F(ReadDumpFileTest, ReportsEmptyFile) {
  std::string path = WriteFile("empty.dump", "");
  EXPECT_EQ(Rejected(path), path + ": empty file (0 bytes), not a dump");
}

TEST_F(ReadDumpFileTest, RefusesAFifoWithoutWaitingForAWriter) {
  std::string path = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_EQ(Rejected(path), path + ": not a regular file");
}

TEST_F(ReadDumpFileTest, ReportsUnreadableFile) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files whatever their mode";
  std::string path = WriteFile("locked.dump", RichBytes());
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  EXPECT_EQ(Rejected(path), path + ": cannot open: Permission denied");
}

}  // namespace
}  // namespace leakscope

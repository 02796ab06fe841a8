// SPDX-License-Identifier: Apache-2.0
// ReadDumpProcess: reads a dump's process record alone, with ReadDumpFile's checks and messages
// for everything it reads, and never more of the file than it needs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstddef>
#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "dump.h"
#include "temp_file_fixture.h"
#include "test_dump_builder.h"

namespace leakscope {
namespace {

using ::testing::HasSubstr;
using testing::RichSampleDump;
using ::testing::StartsWith;

template <typename T>
std::string Bytes(const T& value) {
  return std::string(reinterpret_cast<const char*>(&value), sizeof(T));
}

std::string RecordHeader(format::RecordType type, uint64_t payload_bytes) {
  format::RecordHeader header{};
  header.type = static_cast<uint32_t>(type);
  header.payload_bytes = payload_bytes;
  return Bytes(header);
}

std::string Encode(const Dump& dump) {
  StringSink sink;
  EXPECT_TRUE(WriteDump(dump, &sink));
  return sink.bytes();
}

// File offset where the record after the process record starts (the recorder writes the process
// record first, right after the 16-byte file header).
size_t EndOfProcessRecord(const std::string& bytes) {
  format::RecordHeader header;
  std::memcpy(&header, bytes.data() + sizeof(format::FileHeader), sizeof(header));
  EXPECT_EQ(header.type, static_cast<uint32_t>(format::RecordType::kProcess));
  return sizeof(format::FileHeader) + sizeof(header) + header.payload_bytes;
}

bool SameProcess(const ProcessInfo& a, const ProcessInfo& b) {
  return std::memcmp(&a.fixed, &b.fixed, sizeof(a.fixed)) == 0 && a.host == b.host &&
         a.executable == b.executable && a.args == b.args;
}

class DumpProcessTest : public TempFileTest {
 protected:
  // The error of ReadDumpProcess, which must be one line and equal ReadDumpFile's.
  std::string RejectedLikeReadDumpFile(const std::string& path) {
    ProcessInfo process;
    std::string error;
    EXPECT_FALSE(ReadDumpProcess(path, &process, &error));
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    Dump dump;
    std::string full_error;
    EXPECT_FALSE(ReadDumpFile(path, &dump, &full_error));
    EXPECT_EQ(error, full_error);
    return error;
  }
};

TEST_F(DumpProcessTest, ReadsEveryFieldOfTheProcessRecord) {
  std::string path = WriteFile("leakscope.4242.3.dump", Encode(RichSampleDump()));
  ProcessInfo process;
  std::string error;
  ASSERT_TRUE(ReadDumpProcess(path, &process, &error)) << error;
  EXPECT_TRUE(SameProcess(process, RichSampleDump().process));
  EXPECT_EQ(process.fixed.pid, 4242);
  EXPECT_EQ(process.fixed.seq, 3u);
  EXPECT_EQ(process.args.size(), 6u);
}

TEST_F(DumpProcessTest, DoesNotReadPastTheProcessRecord) {
  // Everything after the process record is garbage: the full read fails, this one does not.
  std::string bytes = Encode(RichSampleDump());
  size_t end = EndOfProcessRecord(bytes);
  for (size_t i = end; i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xa5);
  std::string path = WriteFile("tail.dump", bytes);
  ProcessInfo process;
  std::string error;
  ASSERT_TRUE(ReadDumpProcess(path, &process, &error)) << error;
  EXPECT_TRUE(SameProcess(process, RichSampleDump().process));
  Dump dump;
  EXPECT_FALSE(ReadDumpFile(path, &dump, &error));
}

TEST_F(DumpProcessTest, AcceptsAFileCutRightAfterTheProcessRecord) {
  std::string bytes = Encode(RichSampleDump());
  std::string path = WriteFile("cut.dump", bytes.substr(0, EndOfProcessRecord(bytes)));
  ProcessInfo process;
  std::string error;
  ASSERT_TRUE(ReadDumpProcess(path, &process, &error)) << error;
  EXPECT_EQ(process.fixed.pid, 4242);
}

TEST_F(DumpProcessTest, RejectsEveryCutInsideTheHeaderOrProcessRecordLikeReadDumpFile) {
  std::string bytes = Encode(RichSampleDump());
  size_t end = EndOfProcessRecord(bytes);
  for (size_t cut = 1; cut < end; ++cut) {
    if (cut == sizeof(format::FileHeader)) continue;  // below: the one different message
    std::string path = WriteFile("cut.dump", bytes.substr(0, cut));
    SCOPED_TRACE("cut at " + std::to_string(cut));
    EXPECT_THAT(RejectedLikeReadDumpFile(path), StartsWith(path + ": "));
  }
  // Cut after the file header: the full reader misses the end record, this one the process
  // record it was looking for.
  std::string path = WriteFile("header-only.dump", bytes.substr(0, sizeof(format::FileHeader)));
  ProcessInfo process;
  std::string error;
  EXPECT_FALSE(ReadDumpProcess(path, &process, &error));
  EXPECT_EQ(error,
            path + ": truncated: no process record after 0 records (file ends at offset 16)");
}

TEST_F(DumpProcessTest, FindsAProcessRecordBeyondTheFirstRead) {
  // A later writer's unknown record of 100 KB before the process record: skipped, not parsed,
  // and the process record past it is still found.
  std::string bytes = Encode(RichSampleDump());
  std::string unknown =
      RecordHeader(static_cast<format::RecordType>(99), 100'000) + std::string(100'000, '\x7f');
  bytes.insert(sizeof(format::FileHeader), unknown);
  std::string path = WriteFile("later.dump", bytes);
  ProcessInfo process;
  std::string error;
  ASSERT_TRUE(ReadDumpProcess(path, &process, &error)) << error;
  EXPECT_TRUE(SameProcess(process, RichSampleDump().process));
}

TEST_F(DumpProcessTest, RejectsForeignAndUnsupportedFilesLikeReadDumpFile) {
  EXPECT_EQ(RejectedLikeReadDumpFile(WriteFile("text.dump", "hello, world\n")),
            dir_ + "/text.dump: bad magic at offset 0: not a leakscope dump");
  std::string bytes = Encode(RichSampleDump());
  bytes[8] = 4;  // version
  EXPECT_EQ(RejectedLikeReadDumpFile(WriteFile("v4.dump", bytes)),
            dir_ +
                "/v4.dump: dump format version 4 is newer than this leakscope reads (version "
                "3): written by a later leakscope; analyze it with that leakscope or a later "
                "one");
  EXPECT_EQ(RejectedLikeReadDumpFile(WriteFile("short.dump", "LKSCDUMP")),
            dir_ + "/short.dump: truncated: 8 bytes, shorter than the 16-byte file header");
}

TEST_F(DumpProcessTest, RejectsHugeLengthsInTheProcessRecordLikeReadDumpFile) {
  std::string bytes = Encode(RichSampleDump());
  // The host string's length field follows the record header and the 56-byte fixed part.
  size_t host_length =
      sizeof(format::FileHeader) + sizeof(format::RecordHeader) + sizeof(format::ProcessFixed);
  uint32_t huge = 0xfffffff0;
  std::memcpy(bytes.data() + host_length, &huge, sizeof(huge));
  EXPECT_THAT(RejectedLikeReadDumpFile(WriteFile("host.dump", bytes)),
              HasSubstr(": record 0 (process) at offset 16: host length 4294967280"));
  bytes = Encode(RichSampleDump());
  uint64_t payload = uint64_t{1} << 40;
  std::memcpy(bytes.data() + sizeof(format::FileHeader) + 8, &payload, sizeof(payload));
  EXPECT_THAT(RejectedLikeReadDumpFile(WriteFile("payload.dump", bytes)),
              HasSubstr(": record 0 (process) at offset 16: truncated: payload of 1099511627776 "
                        "bytes exceeds"));
}

TEST_F(DumpProcessTest, RejectsADumpWithoutProcessRecord) {
  // Only an end record: the same message as the full read.
  std::string header = Encode(RichSampleDump()).substr(0, sizeof(format::FileHeader));
  format::EndFixed end{0, 0};
  std::string bytes = header + RecordHeader(format::RecordType::kEnd, sizeof(end)) + Bytes(end);
  ProcessInfo process;
  std::string error;
  std::string path = WriteFile("noprocess.dump", bytes);
  EXPECT_FALSE(ReadDumpProcess(path, &process, &error));
  EXPECT_EQ(error, path + ": no process record before the end record at offset 16");
  // Records but neither a process nor an end record.
  format::SettingsFixed settings{};
  bytes = header + RecordHeader(format::RecordType::kSettings, sizeof(settings)) + Bytes(settings);
  path = WriteFile("settings-only.dump", bytes);
  EXPECT_FALSE(ReadDumpProcess(path, &process, &error));
  EXPECT_EQ(error,
            path + ": truncated: no process record after 1 records (file ends at offset 80)");
}

TEST_F(DumpProcessTest, ReportsFilesThatAreNoDumpsLikeReadDumpFile) {
  EXPECT_EQ(RejectedLikeReadDumpFile(dir_ + "/nope.dump"),
            dir_ + "/nope.dump: cannot open: No such file or directory");
  EXPECT_EQ(RejectedLikeReadDumpFile(dir_), dir_ + ": is a directory, not a dump file");
  EXPECT_EQ(RejectedLikeReadDumpFile(WriteFile("empty.dump", "")),
            dir_ + "/empty.dump: empty file (0 bytes), not a dump");
  std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(RejectedLikeReadDumpFile(fifo), fifo + ": not a regular file");
}

TEST_F(DumpProcessTest, FailsWithReadDumpFilesMessageOnMutatedProcessRecords) {
  // Random bytes in the process record's length and payload. Record 0 stays the process record,
  // so wherever this reader finds a fault the full reader meets the same fault first. (Where
  // this reader succeeds, the full one still fails on the checksum.)
  std::string original = Encode(RichSampleDump());
  const size_t begin = sizeof(format::FileHeader) + offsetof(format::RecordHeader, payload_bytes);
  const size_t end = EndOfProcessRecord(original);
  std::mt19937 rng(12345);
  int failures = 0;
  for (int round = 0; round < 300; ++round) {
    std::string bytes = original;
    for (int flips = 1 + rng() % 3; flips > 0; --flips) {
      bytes[begin + rng() % (end - begin)] = static_cast<char>(rng());
    }
    std::string path = WriteFile("mutated.dump", bytes);
    ProcessInfo process;
    std::string error;
    if (!ReadDumpProcess(path, &process, &error)) {
      ++failures;
      Dump dump;
      std::string full_error;
      EXPECT_FALSE(ReadDumpFile(path, &dump, &full_error));
      EXPECT_EQ(error, full_error) << "round " << round;
    }
  }
  EXPECT_GT(failures, 10);
}

}  // namespace
}  // namespace leakscope

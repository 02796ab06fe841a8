// SPDX-License-Identifier: Apache-2.0
// Writing a dump and reading it back gives the same dump, through every sink and both encoder
// entry points (the streaming DumpEncoder the recorder uses and WriteDump).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "dump.h"
#include "temp_dir.h"
#include "test_dump_builder.h"

namespace leakscope {
namespace {

using testing::MinimalSampleDump;
using testing::RichSampleDump;
using testing::SameDump;

std::string Encode(const Dump& dump) {
  StringSink sink;
  EXPECT_TRUE(WriteDump(dump, &sink));
  return sink.bytes();
}

using testing::TempDir;

TEST(DumpRoundTrip, RichDumpThroughStringSinkComesBackIdentical) {
  Dump original = RichSampleDump();
  std::string bytes = Encode(original);

  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(bytes, &parsed, &error)) << error;
  EXPECT_TRUE(SameDump(original, parsed));
  EXPECT_EQ(parsed.version, format::kVersion);
  EXPECT_EQ(parsed.process.host, "worker-7.example");
  EXPECT_EQ(parsed.process.args, original.process.args);
  ASSERT_EQ(parsed.modules.size(), 3u);
  EXPECT_EQ(parsed.modules[0].build_id.size(), 20u);
  EXPECT_EQ(parsed.modules[1].build_id, "");
  EXPECT_EQ(parsed.modules[2].path, "");
  ASSERT_EQ(parsed.sites.size(), 3u);
  EXPECT_EQ(parsed.sites[0].fixed.site_id, format::kOverflowSiteId);
  EXPECT_TRUE(parsed.sites[0].pcs.empty());
  EXPECT_EQ(parsed.sites[2].fixed.depth, 64u);
  EXPECT_EQ(parsed.sites[2].pcs, original.sites[2].pcs);
  EXPECT_EQ(parsed.sites[1].live_count(), 60u);
  EXPECT_EQ(parsed.sites[1].live_bytes(), 3276800u - 1310720u);
  // Format version 2 on: every site carries its ages, zero where the writer had none.
  EXPECT_TRUE(parsed.sites[1].ages_known);
  EXPECT_EQ(parsed.sites[1].ages.median_age_s, 190u);
  EXPECT_EQ(parsed.sites[1].ages.oldest_age_s, 7200u);
  EXPECT_EQ(parsed.sites[1].ages.older_than_est_bytes[0], 1500000u);
  EXPECT_EQ(parsed.sites[1].ages.older_than_est_bytes[2], 32768u);
  EXPECT_TRUE(parsed.sites[2].ages_known);
  EXPECT_EQ(parsed.sites[2].ages.oldest_age_s, 0u);
  EXPECT_EQ(parsed.streams.size(), 2u);
  EXPECT_EQ(parsed.counters.zlib_calls, 41000u);
  // Encoding is deterministic, so re-encoding what was read reproduces the file byte for byte.
  EXPECT_EQ(Encode(parsed), bytes);
}

TEST(DumpRoundTrip, AllocatorRecordComesBackAndOlderDumpsHaveNone) {
  Dump original = RichSampleDump();
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(Encode(original), &parsed, &error)) << error;
  EXPECT_EQ(parsed.allocator.fixed.kind, 0u);  // none written: read as glibc by the analyzer

  original.allocator.fixed = {
      .kind = static_cast<uint32_t>(format::AllocatorKind::kJemalloc),
      .flags = format::kAllocatorInFront | format::kAllocatorHooked | format::kAllocatorStats,
      .allocated = 30ULL << 20,
      .active = 32ULL << 20,
      .resident = 36ULL << 20,
      .mapped = 40ULL << 20,
      .retained = 1ULL << 30};
  original.allocator.path = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2";
  Dump with_allocator;
  ASSERT_TRUE(ParseDump(Encode(original), &with_allocator, &error)) << error;
  EXPECT_TRUE(SameDump(original, with_allocator));
  EXPECT_EQ(with_allocator.allocator.path, original.allocator.path);
  EXPECT_EQ(with_allocator.allocator.fixed.retained, 1ULL << 30);
}

TEST(DumpRoundTrip, RecorderVersionComesBackSecondAndOlderDumpsHaveNone) {
  Dump original = RichSampleDump();
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(Encode(original), &parsed, &error)) << error;
  EXPECT_EQ(parsed.recorder_version, "");  // none written, as by recorders before the record

  original.recorder_version = "0.1.0 (git abc1234)";
  std::string bytes = Encode(original);
  Dump with_version;
  ASSERT_TRUE(ParseDump(bytes, &with_version, &error)) << error;
  EXPECT_TRUE(SameDump(original, with_version));
  EXPECT_EQ(with_version.recorder_version, "0.1.0 (git abc1234)");
  // Right after the process record, where the recorder writes it and where a reader of an older
  // format version looks for it: type 11, then the string.
  format::RecordHeader process;
  std::memcpy(&process, bytes.data() + sizeof(format::FileHeader), sizeof(process));
  size_t second = sizeof(format::FileHeader) + sizeof(process) + process.payload_bytes;
  format::RecordHeader recorder;
  std::memcpy(&recorder, bytes.data() + second, sizeof(recorder));
  EXPECT_EQ(recorder.type, 11u);
  EXPECT_EQ(recorder.payload_bytes, 4u + 19u);
  EXPECT_EQ(bytes.substr(second + sizeof(recorder), 4 + 19),
            std::string("\x13\0\0\0", 4) + "0.1.0 (git abc1234)");
}

// A Java frame holds a jmethodID below 2^48 and its bci. AArch64 keeps the C heap, and so
// HotSpot's jmethodIDs, above 2^47, where versions 1 and 2 could not go: the recorder dropped
// every Java frame there.
TEST(DumpRoundTrip, JavaFramesKeepMethodsAboveTwoToThe47) {
  constexpr uint64_t kAarch64Method = 0xffff'8a3c'1238;  // a heap address of an arm64 JVM
  constexpr uint64_t kX86Method = 0x7f12'3456'7890;
  ASSERT_TRUE(format::CanEncodeJavaMethod(kAarch64Method));
  EXPECT_FALSE(format::CanEncodeJavaMethod(1ull << 48));
  EXPECT_FALSE(format::CanEncodeJavaMethod(kAarch64Method + 4));  // not a jmethodID
  Dump original = RichSampleDump();
  original.sites[1].pcs.push_back(format::EncodeJavaFrame(kAarch64Method, 65533));
  original.sites[1].pcs.push_back(format::EncodeJavaFrame(kX86Method, -1));
  original.sites[1].fixed.depth = static_cast<uint32_t>(original.sites[1].pcs.size());
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(Encode(original), &parsed, &error)) << error;
  const std::vector<uint64_t>& pcs = parsed.sites[1].pcs;
  ASSERT_EQ(pcs, original.sites[1].pcs);
  ASSERT_TRUE(format::IsJavaFrame(pcs[pcs.size() - 2]));
  EXPECT_EQ(format::JavaFrameMethod(pcs[pcs.size() - 2]), kAarch64Method);
  EXPECT_EQ(format::JavaFrameBci(pcs[pcs.size() - 2]), 65533);
  EXPECT_EQ(format::JavaFrameMethod(pcs.back()), kX86Method);
  EXPECT_EQ(format::JavaFrameBci(pcs.back()), -1);
  for (size_t i = 0; i + 2 < pcs.size(); ++i) EXPECT_FALSE(format::IsJavaFrame(pcs[i])) << i;
}

// Versions 1 and 2 wrote Java frames with a four-bit tag and 44 bits of method: written on
// request in that layout, read back in the current one.
TEST(DumpRoundTrip, Version2JavaFramesAreReadInTheCurrentLayout) {
  constexpr uint64_t kMethod = 0x7f12'3456'7890;
  Dump original = RichSampleDump();
  original.version = 2;
  original.sites[1].pcs.push_back(format::EncodeJavaFrame(kMethod, 1234));
  original.sites[1].fixed.depth = static_cast<uint32_t>(original.sites[1].pcs.size());
  std::string bytes = Encode(original);
  // The frame as version 2 lays it out: 0xF tag, bci + 1 in bits 44-59, method >> 3 below.
  const uint64_t legacy = 0xFull << 60 | uint64_t{1235} << 44 | kMethod >> 3;
  EXPECT_NE(bytes.find(std::string(reinterpret_cast<const char*>(&legacy), sizeof(legacy))),
            std::string::npos);
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(bytes, &parsed, &error)) << error;
  EXPECT_EQ(parsed.version, 2u);
  EXPECT_EQ(parsed.sites[1].pcs, original.sites[1].pcs);
  EXPECT_EQ(format::JavaFrameMethod(parsed.sites[1].pcs.back()), kMethod);
  EXPECT_EQ(format::JavaFrameBci(parsed.sites[1].pcs.back()), 1234);
  // A method at or above 2^47 has no version-2 form: the encoder refuses rather than cut it.
  original.sites[1].pcs.back() = format::EncodeJavaFrame(0xffff'8a3c'1238, 1234);
  StringSink sink;
  EXPECT_FALSE(WriteDump(original, &sink));
}

// Version 1 is still written on request (the golden dumps are) and read: the same dump without
// the ages, which read back as unknown.
TEST(DumpRoundTrip, Version1DumpComesBackWithoutAges) {
  Dump original = RichSampleDump();
  original.version = 1;
  std::string bytes = Encode(original);
  EXPECT_EQ(bytes.size() + 3 * sizeof(format::SiteAgesFixed),
            Encode(RichSampleDump()).size());  // three sites, each without its ages
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(bytes, &parsed, &error)) << error;
  EXPECT_EQ(parsed.version, 1u);
  ASSERT_EQ(parsed.sites.size(), 3u);
  for (const SiteInfo& site : parsed.sites) {
    EXPECT_FALSE(site.ages_known);
    EXPECT_EQ(site.ages.median_age_s, 0u);
    EXPECT_EQ(site.ages.oldest_age_s, 0u);
  }
  EXPECT_EQ(parsed.sites[2].pcs, original.sites[2].pcs);
  EXPECT_EQ(parsed.sites[1].live_bytes(), 3276800u - 1310720u);
  original.sites[1].ages = {};  // what version 1 cannot carry
  EXPECT_TRUE(SameDump(original, parsed));
  EXPECT_EQ(Encode(parsed), bytes);
}

// Mapping epochs are appended to module and site records (no version bump): they come back in
// either version, and records written without them read as having none.
TEST(DumpRoundTrip, EpochsComeBackAndRecordsWithoutThemHaveNone) {
  Dump dump = MinimalSampleDump();
  ModuleInfo with;
  with.path = "/lib/liba.so";
  with.fixed = {0x7f0000000000, 0x7f0000010000, 0x7f0000000000, format::kModuleUnloaded, 0};
  with.epochs_known = true;
  with.epochs = {3, 5};
  ModuleInfo without = with;
  without.epochs_known = false;
  dump.modules = {with, without};
  SiteInfo site;
  site.fixed.site_id = 1;
  site.fixed.depth = 1;
  site.pcs = {0x7f0000001234};
  site.epoch_known = true;
  site.epoch = 4;
  SiteInfo old_site = site;
  old_site.fixed.site_id = 2;
  old_site.epoch_known = false;
  dump.sites = {site, old_site};
  for (uint32_t version : {1u, 2u}) {
    dump.version = version;
    Dump back;
    std::string error;
    ASSERT_TRUE(ParseDump(Encode(dump), &back, &error)) << error;
    ASSERT_EQ(back.modules.size(), 2u);
    EXPECT_TRUE(back.modules[0].epochs_known);
    EXPECT_EQ(back.modules[0].epochs.loaded_epoch, 3u);
    EXPECT_EQ(back.modules[0].epochs.unloaded_epoch, 5u);
    EXPECT_EQ(back.modules[0].path, "/lib/liba.so");
    EXPECT_FALSE(back.modules[1].epochs_known);
    ASSERT_EQ(back.sites.size(), 2u);
    EXPECT_TRUE(back.sites[0].epoch_known);
    EXPECT_EQ(back.sites[0].epoch, 4u);
    EXPECT_EQ(back.sites[0].pcs, site.pcs);
    EXPECT_FALSE(back.sites[1].epoch_known);
    EXPECT_EQ(back.sites[1].pcs, site.pcs);
  }
}

// The architecture is appended to the process record (no version bump): it comes back in either
// version, and a process record written without it (every dump before it) reads as x86-64.
TEST(DumpRoundTrip, MachineComesBackAndDumpsWithoutItReadAsX86_64) {
  Dump dump = MinimalSampleDump();
  dump.process.args = {"/usr/bin/java", "-version"};
  dump.process.machine_known = true;
  dump.process.machine = format::kMachineAarch64;
  Dump old = dump;
  old.process.machine_known = false;
  old.process.machine = format::kMachineX86_64;
  for (uint32_t version : {1u, 2u}) {
    dump.version = old.version = version;
    Dump back;
    std::string error;
    ASSERT_TRUE(ParseDump(Encode(dump), &back, &error)) << error;
    EXPECT_TRUE(back.process.machine_known);
    EXPECT_EQ(back.process.machine, format::kMachineAarch64);
    EXPECT_EQ(back.process.args, dump.process.args);
    EXPECT_EQ(Encode(dump).size(), Encode(old).size() + sizeof(format::ProcessMachine));
    Dump old_back;
    old_back.process.machine = format::kMachineAarch64;  // the reader must set it, not keep it
    ASSERT_TRUE(ParseDump(Encode(old), &old_back, &error)) << error;
    EXPECT_FALSE(old_back.process.machine_known);
    EXPECT_EQ(old_back.process.machine, format::kMachineX86_64);
  }
}

TEST(DumpEncoder, RefusesVersionsItCannotWrite) {
  for (uint32_t version : {0u, format::kVersion + 1}) {
    StringSink sink;
    DumpEncoder encoder(&sink, version);
    EXPECT_FALSE(encoder.Begin()) << version;
    EXPECT_FALSE(encoder.Finish()) << version;
    EXPECT_TRUE(sink.bytes().empty()) << version;
  }
}

TEST(DumpRoundTrip, MinimalDumpComesBackIdentical) {
  Dump original = MinimalSampleDump();
  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(Encode(original), &parsed, &error)) << error;
  EXPECT_TRUE(SameDump(original, parsed));
  EXPECT_TRUE(parsed.process.args.empty());
  EXPECT_TRUE(parsed.sites.empty());
}

TEST(DumpRoundTrip, FdSinkToFileThenReadDumpFileComesBackIdentical) {
  TempDir dir;
  std::string path = dir.path() + "/leakscope.4242.3.dump";
  Dump original = RichSampleDump();
  // Enough sites that the encoding crosses FdSink's 64 KiB buffer several times.
  for (uint32_t id = 100; id < 1100; ++id) {
    SiteInfo& site = original.sites.emplace_back();
    site.fixed.site_id = id;
    site.fixed.alloc_count = id;
    site.pcs.assign(id % 65, 0x7f0000001000ULL + id);
    site.fixed.depth = static_cast<uint32_t>(site.pcs.size());
  }

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  {
    FdSink sink(fd);
    ASSERT_TRUE(WriteDump(original, &sink));
    ASSERT_TRUE(sink.Flush());
  }
  ASSERT_EQ(::close(fd), 0);

  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  std::string bytes = Encode(original);
  EXPECT_EQ(static_cast<size_t>(st.st_size), bytes.size());
  EXPECT_GT(bytes.size(), 3u * 64 * 1024);

  Dump parsed;
  std::string error;
  ASSERT_TRUE(ReadDumpFile(path, &parsed, &error)) << error;
  EXPECT_TRUE(SameDump(original, parsed));
}

TEST(DumpEncoder, StreamingRecordsEqualsWriteDump) {
  Dump dump = RichSampleDump();
  StringSink sink;
  DumpEncoder encoder(&sink);
  ASSERT_TRUE(encoder.Begin());
  ASSERT_TRUE(encoder.Process(dump.process));
  ASSERT_TRUE(encoder.Settings(dump.settings));
  for (const ModuleInfo& m : dump.modules) ASSERT_TRUE(encoder.Module(m.fixed, m.path, m.build_id));
  for (const SiteInfo& s : dump.sites) ASSERT_TRUE(encoder.Site(s.fixed, s.ages, s.pcs));
  for (const format::StreamsFixed& s : dump.streams) ASSERT_TRUE(encoder.Streams(s));
  ASSERT_TRUE(encoder.Memory(dump.memory));
  ASSERT_TRUE(encoder.Counters(dump.counters));
  ASSERT_TRUE(encoder.Finish());
  EXPECT_EQ(sink.bytes(), Encode(dump));
}

TEST(DumpEncoder, TakesSiteDepthFromThePcsNotTheFixedPart) {
  Dump dump = MinimalSampleDump();
  SiteInfo& site = dump.sites.emplace_back();
  site.fixed.site_id = 9;
  site.fixed.depth = 1000;  // Wrong on purpose.
  site.pcs = {1, 2};

  Dump parsed;
  std::string error;
  ASSERT_TRUE(ParseDump(Encode(dump), &parsed, &error)) << error;
  ASSERT_EQ(parsed.sites.size(), 1u);
  EXPECT_EQ(parsed.sites[0].fixed.depth, 2u);
  EXPECT_EQ(parsed.sites[0].pcs, (std::vector<uint64_t>{1, 2}));
}

TEST(DumpEncoder, RefusesRecordsBeforeBeginAndAfterFinish) {
  StringSink sink;
  DumpEncoder encoder(&sink);
  EXPECT_FALSE(encoder.Settings({}));
  EXPECT_FALSE(encoder.Finish());
  EXPECT_TRUE(sink.bytes().empty());

  ASSERT_TRUE(encoder.Begin());
  EXPECT_FALSE(encoder.Begin());
  ASSERT_TRUE(encoder.Process(MinimalSampleDump().process));
  ASSERT_TRUE(encoder.Finish());
  size_t size = sink.bytes().size();
  EXPECT_FALSE(encoder.Counters({}));
  EXPECT_FALSE(encoder.Finish());
  EXPECT_EQ(sink.bytes().size(), size);
}

TEST(DumpEncoder, RefusesSiteDeeperThanReadersAcceptAndStaysFailed) {
  StringSink sink;
  DumpEncoder encoder(&sink);
  ASSERT_TRUE(encoder.Begin());
  ASSERT_TRUE(encoder.Process(MinimalSampleDump().process));
  std::vector<uint64_t> ok_pcs(4096, 1);
  EXPECT_TRUE(encoder.Site({}, ok_pcs));
  std::vector<uint64_t> deep_pcs(4097, 1);
  EXPECT_FALSE(encoder.Site({}, deep_pcs));
  // A dump missing a site must not look complete.
  EXPECT_FALSE(encoder.Memory({}));
  EXPECT_FALSE(encoder.Finish());
}

class FailingSink final : public ByteSink {
 public:
  explicit FailingSink(size_t budget) : budget_(budget) {}
  bool Write(const void*, size_t size) override {
    ++calls_;
    if (size > budget_) return false;
    budget_ -= size;
    return true;
  }
  int calls() const { return calls_; }

 private:
  size_t budget_;
  int calls_ = 0;
};

TEST(DumpEncoder, StopsWritingAfterTheFirstFailedWrite) {
  FailingSink sink(100);  // Fails inside the process record.
  DumpEncoder encoder(&sink);
  ASSERT_TRUE(encoder.Begin());
  EXPECT_FALSE(encoder.Process(RichSampleDump().process));
  int calls = sink.calls();
  EXPECT_FALSE(encoder.Settings({}));
  EXPECT_FALSE(encoder.Finish());
  EXPECT_EQ(sink.calls(), calls);
}

}  // namespace
}  // namespace leakscope

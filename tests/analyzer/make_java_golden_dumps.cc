// SPDX-License-Identifier: Apache-2.0
// Writes the checked-in golden dumps of a JVM with the JVMTI agent (golden_java/*.dump)
// deterministically: sites whose PCs end with Java frames, the kJavaMethod records naming them
// and a kJava record. Modules point to paths that do not exist, so native frames print as
// module+0xoffset on every machine; addresses in 0x20000000.. are in no module (interpreter and
// JIT code).
//
// Process 6161 (exact sampling, 3 dumps a minute apart):
//   - an inflate leak whose stack is first interpreted (native frames down to thread start) and,
//     from the second dump on, also compiled (the unwinder stops in JIT code, a different bci on
//     the same line): both must be one site once spliced, growing 4 streams a dump;
//   - a deflate leak through a lambda (hidden class), an unresolved and an unknown method id;
//   - a direct buffer whose native stack holds no JVM code (Java frames go after the natives);
//   - a native-only site through JIT code (no Java frames: its [jit] frame stays).
// Its recorder records its version, "0.1.0 (git 1a2b3c4)".
//
// Usage: make_java_golden_dumps OUTDIR
#include <cstdio>
#include <string>
#include <vector>

#include "dump.h"
#include "test_dump_builder.h"

namespace leakscope {
namespace {

using testing::AddSite;

constexpr uint64_t kJvm = 0x7f5510000000, kZip = 0x7f5520000000, kRecorder = 0x7f5530000000,
                   kZlib = 0x7f5540000000, kLibc = 0x7f5550000000;

// Method ids (8-byte aligned, below 2^47).
enum : uint64_t {
  kInflaterInit = 0x7f5500001008,  // native
  kInflaterCtor = 0x7f5500001010,
  kGzipCtor = 0x7f5500001018,
  kCacheOpen = 0x7f5500001020,
  kJobMain = 0x7f5500001028,
  kDeflaterInit = 0x7f5500001030,  // native
  kDeflaterCtor = 0x7f5500001038,
  kNewCompressor = 0x7f5500001040,
  kLambdaRun = 0x7f5500001048,
  kUnresolved = 0x7f5500001050,
  kUnknown = 0x7f55000010f8,         // no kJavaMethod record
  kAllocateMemory = 0x7f5500001058,  // native
  kDirectCtor = 0x7f5500001060,
  kGrab = 0x7f5500001068,
};

// Modules of 16 MiB, loaded at `base`.
void AddModule(Dump* dump, const char* path, uint64_t base, uint8_t id) {
  testing::AddModule(dump, path, base, 0x1000000, id);
}

void AddMethod(Dump* dump, uint64_t id, const char* klass, const char* name, const char* file,
               std::vector<std::pair<uint32_t, uint32_t>> lines, bool resolved = true) {
  JavaMethodRecord method;
  method.fixed.method_id = id;
  method.fixed.flags = resolved ? format::kJavaMethodResolved : 0;
  method.fixed.line_count = static_cast<uint32_t>(lines.size());
  method.class_signature = klass;
  method.name = name;
  method.signature = "()V";
  method.source_file = file;
  method.lines = std::move(lines);
  dump->java_methods.push_back(method);
}

uint64_t J(uint64_t method, int32_t bci) { return format::EncodeJavaFrame(method, bci); }

Dump MakeDump(uint64_t seq) {
  Dump dump = testing::ProcessDump(6161, 0x00c0ffee00000003, seq, 7'000'000'000'000);
  // Format version 1, as these files were first written: they keep the analyzer's reading of
  // dumps without ages covered (their sites have none, and the outputs say so).
  dump.version = 1;
  dump.process.executable = "/opt/golden/jdk/bin/java";
  dump.process.args = {"java", "-agentpath:/opt/golden/lib/libleakscope.so", "StreamingJob"};
  dump.settings.sample_bytes = 1;

  AddModule(&dump, "/opt/golden/jdk/lib/server/libjvm.so", kJvm, 0x55);
  AddModule(&dump, "/opt/golden/jdk/lib/libzip.so", kZip, 0x66);
  AddModule(&dump, "/opt/golden/lib/libleakscope.so", kRecorder, 0x22);
  AddModule(&dump, "/opt/golden/lib/libz.so.1", kZlib, 0x33);
  AddModule(&dump, "/opt/golden/lib/libc.so.6", kLibc, 0x44);

  const uint64_t hook = kRecorder + 0x1234;
  const uint64_t s = seq;
  const std::vector<uint64_t> inflate_java = {J(kInflaterInit, -1), J(kInflaterCtor, 9),
                                              J(kGzipCtor, 12), J(kCacheOpen, 40), J(kJobMain, 7)};
  // Interpreted: the native unwinder walks the interpreter frames down to thread start.
  std::vector<uint64_t> pcs = {hook,          kZlib + 0x500, kZlib + 0x2100,
                               kZip + 0x3000, 0x20001000,    0x20002000,
                               kJvm + 0x5000, kJvm + 0x6000, kLibc + 0x9b000};
  pcs.insert(pcs.end(), inflate_java.begin(), inflate_java.end());
  AddSite(&dump, 1, pcs, {4, 4 * 40'000});
  dump.streams.push_back(
      format::StreamsFixed{1, uint32_t(format::StreamKind::kInflate), 4, 4 * 40'000, 4});
  if (seq > 0) {
    // Compiled: the unwinder stops in JIT code; a different bci on the same line.
    pcs = {hook, kZlib + 0x500, kZlib + 0x2100, kZip + 0x3000, 0x20003000};
    pcs.insert(pcs.end(), inflate_java.begin(), inflate_java.end());
    pcs[pcs.size() - 2] = J(kCacheOpen, 42);
    AddSite(&dump, 2, pcs, {4 * s, 4 * s * 40'000});
    dump.streams.push_back(format::StreamsFixed{2, uint32_t(format::StreamKind::kInflate), 4 * s,
                                                4 * s * 40'000, 4 * s});
  }
  AddSite(&dump, 3,
          {hook, kZlib + 0x600, kZip + 0x3100, 0x20004000, kJvm + 0x5000, J(kDeflaterInit, -1),
           J(kDeflaterCtor, 0), J(kNewCompressor, 5), J(kLambdaRun, 4), J(kUnresolved, 1),
           J(kUnknown, 2)},
          {2 * (s + 1), 2 * (s + 1) * 268'096});
  dump.streams.push_back(format::StreamsFixed{3, uint32_t(format::StreamKind::kDeflate),
                                              2 * (s + 1), 2 * (s + 1) * 268'096, 2 * (s + 1)});
  AddSite(
      &dump, 4,
      {hook, kJvm + 0x7000, kJvm + 0x7100, J(kAllocateMemory, -1), J(kDirectCtor, 30), J(kGrab, 2)},
      {1, 1 * 1 << 20});
  AddSite(&dump, 5, {hook, kJvm + 0x8000, 0x20005000, kJvm + 0x5000}, {1, 1 * 65'536});

  AddMethod(&dump, kInflaterInit, "Ljava/util/zip/Inflater;", "init", "Inflater.java", {});
  AddMethod(&dump, kInflaterCtor, "Ljava/util/zip/Inflater;", "<init>", "Inflater.java",
            {{0, 130}, {9, 131}, {20, 132}});
  AddMethod(&dump, kGzipCtor, "Ljava/util/zip/GZIPInputStream;", "<init>", "GZIPInputStream.java",
            {{0, 77}, {10, 79}});
  AddMethod(&dump, kCacheOpen, "LTableMetadataCache;", "open", "TableMetadataCache.java",
            {{0, 27}, {38, 29}, {50, 30}});
  AddMethod(&dump, kJobMain, "LStreamingJob;", "main", "StreamingJob.java", {{0, 67}});
  AddMethod(&dump, kDeflaterInit, "Ljava/util/zip/Deflater;", "init", "Deflater.java", {});
  AddMethod(&dump, kDeflaterCtor, "Ljava/util/zip/Deflater;", "<init>", "Deflater.java",
            {{0, 201}});
  AddMethod(&dump, kNewCompressor, "LDataFileWriter;", "newCompressor", "DataFileWriter.java",
            {{0, 31}});
  AddMethod(&dump, kLambdaRun, "LDataFileWriter$$Lambda$14.0x00007f5512345678;", "run", "", {});
  AddMethod(&dump, kUnresolved, "", "", "", {}, /*resolved=*/false);
  AddMethod(&dump, kAllocateMemory, "Ljdk/internal/misc/Unsafe;", "allocateMemory0", "Unsafe.java",
            {});
  AddMethod(&dump, kDirectCtor, "Ljava/nio/DirectByteBuffer;", "<init>", "DirectByteBuffer.java",
            {{0, 120}, {25, 125}});
  AddMethod(&dump, kGrab, "LScratchBuffers;", "grab", "ScratchBuffers.java", {{0, 44}});

  dump.java.flags = format::kJavaAgentLoaded | format::kJavaFramesOn;
  dump.java.walks[0] = 100 * (s + 1);
  dump.java.walks[3] = 2;
  dump.java.walks[4] = 17 * (s + 1);
  dump.java.walks[10] = s;
  dump.java.unencodable = s == 2 ? 1 : 0;

  dump.memory.rss_bytes = 300ull << 20;
  dump.memory.malloc_arena_bytes = 64ull << 20;
  dump.memory.malloc_in_use_bytes = 32ull << 20;
  dump.memory.malloc_free_bytes = 32ull << 20;
  dump.memory.malloc_arena_count = 2;
  dump.memory.self_resident_bytes = 8ull << 20;
  dump.counters.sampled_allocs = 500 * (s + 1);
  dump.counters.zlib_calls = 40 * (s + 1);
  // A recorder that says its version (kRecorder); the 4242 and 5151 dumps in golden/ stay as
  // recorders wrote them before it existed.
  dump.recorder_version = "0.1.0 (git 1a2b3c4)";
  return dump;
}

}  // namespace
}  // namespace leakscope

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_java_golden_dumps OUTDIR\n");
    return 2;
  }
  std::string dir = argv[1];
  for (uint64_t seq = 0; seq < 3; ++seq) {
    if (leakscope::testing::WriteDumpInto(dir, leakscope::MakeDump(seq)).empty()) return 1;
  }
  return 0;
}

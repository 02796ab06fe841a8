// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the dump reader and unpack's scan. Built and run by
// scripts/fuzz-dump-reader.
//
// Properties checked on every input: ParseDump returns (no crash, no sanitizer report, no
// allocation beyond libFuzzer's -malloc_limit_mb); a rejection comes with a one-line error; and
// whatever is accepted, WriteDump writes back into bytes that parse to the same dump. The same
// bytes as a file given to unpack's scan (ScanEmbeddedDumps): it returns in time (-timeout
// catches a scan gone quadratic), every dump it finds is the input's bytes at its offset and
// parses, and every error is one line.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dump.h"
#include "spark/unpack.h"
#include "test_dump_builder.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace {

using leakscope::Dump;
namespace format = leakscope::format;

void Check(std::string_view bytes) {
  Dump dump;
  std::string error;
  if (!leakscope::ParseDump(bytes, &dump, &error)) {
    if (error.empty() || error.find('\n') != std::string::npos) std::abort();
    return;
  }
  leakscope::StringSink sink;
  if (!leakscope::WriteDump(dump, &sink)) std::abort();
  Dump again;
  if (!leakscope::ParseDump(sink.bytes(), &again, &error)) std::abort();
  if (!leakscope::testing::SameDump(dump, again)) std::abort();
}

void CheckUnpack(std::string_view bytes) {
  static const int fd = memfd_create("unpack-input", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 0) != 0 ||
      pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    std::abort();
  }
  std::vector<std::string> errors, skipped;
  bool read = leakscope::analyzer::ScanEmbeddedDumps(
      "/proc/self/fd/" + std::to_string(fd),
      [&](leakscope::analyzer::EmbeddedDump&& found) {
        Dump dump;
        if (found.offset > bytes.size() ||
            bytes.substr(found.offset, found.bytes.size()) != found.bytes ||
            !leakscope::ParseDump(found.bytes, &dump, nullptr)) {
          std::abort();
        }
      },
      &errors, &skipped);
  if (!read) std::abort();
  for (const std::string& error : errors) {
    if (error.empty() || error.find('\n') != std::string::npos) std::abort();
  }
}

// Almost every mutation breaks the kEnd checksum, which the reader checks last. When the input ends
// in something shaped like a kEnd record, a copy with the checksum recomputed lets the fuzzer
// explore the accepting paths too.
std::optional<std::string> Reseal(std::string_view bytes) {
  constexpr size_t kEndRecordBytes = sizeof(format::RecordHeader) + sizeof(format::EndFixed);
  if (bytes.size() < sizeof(format::FileHeader) + kEndRecordBytes) return std::nullopt;
  size_t end_offset = bytes.size() - kEndRecordBytes;
  format::RecordHeader header;
  std::memcpy(&header, bytes.data() + end_offset, sizeof(header));
  if (header.type != static_cast<uint32_t>(format::RecordType::kEnd) ||
      header.payload_bytes != sizeof(format::EndFixed)) {
    return std::nullopt;
  }
  std::string copy(bytes);
  uint64_t hash = XXH64(copy.data(), end_offset, 0);
  std::memcpy(copy.data() + bytes.size() - sizeof(hash), &hash, sizeof(hash));
  return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  Check(bytes);
  CheckUnpack(bytes);
  if (std::optional<std::string> resealed = Reseal(bytes)) Check(*resealed);
  return 0;
}

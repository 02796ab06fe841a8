// SPDX-License-Identifier: Apache-2.0
// The in-memory form of a dump, its encoder and its reader: the one reader/writer shared by the
// recorder and the analyzer. The byte layout lives in dump_format.h.
//
// The recorder streams records into a DumpEncoder from its tables (no whole-dump copy in memory);
// tests and tools build a Dump and call WriteDump. ParseDump/ReadDumpFile validate everything and
// never crash on bad input: they return false with one line saying where the input broke.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dump_format.h"

namespace leakscope {

struct ProcessInfo {
  format::ProcessFixed fixed{};
  std::string host;
  std::string executable;
  std::vector<std::string> args;
  // The architecture it ran on (format::ProcessMachine). A dump written before the format said
  // reads as x86-64 with machine_known false; WriteDump writes `machine` only when machine_known.
  bool machine_known = false;
  uint32_t machine = format::kMachineX86_64;
};

struct ModuleInfo {
  format::ModuleFixed fixed{};
  std::string path;
  std::string build_id;  // raw bytes of the GNU build-id note, empty when the module has none
  // When the module was mapped (format::ModuleEpochs); a dump written before epochs has none.
  // WriteDump writes `epochs` only when epochs_known.
  bool epochs_known = false;
  format::ModuleEpochs epochs{0, format::kEpochNever};

  // Whether the module was mapped in `epoch` (true whenever its epochs are not known).
  bool MappedIn(uint32_t epoch) const {
    return !epochs_known || (epochs.loaded_epoch <= epoch && epoch < epochs.unloaded_epoch);
  }
};

struct SiteInfo {
  format::SiteFixed fixed{};  // fixed.depth == pcs.size()
  // The ages of the live sampled allocations. Read from version-2 dumps (ages_known); a version-1
  // dump has none, and its sites keep ages_known false and ages all zero. The encoder writes
  // `ages` into a version-2 dump whatever ages_known says.
  format::SiteAgesFixed ages{};
  bool ages_known = false;
  std::vector<uint64_t> pcs;
  // The mapping epoch its PCs belong to (format::SiteEpoch); a dump written before epochs has
  // none. WriteDump writes `epoch` only when epoch_known.
  bool epoch_known = false;
  uint32_t epoch = 0;

  uint64_t live_count() const { return fixed.alloc_count - fixed.free_count; }
  uint64_t live_bytes() const { return fixed.alloc_bytes - fixed.free_bytes; }
  uint64_t live_est_bytes() const { return fixed.alloc_est_bytes - fixed.free_est_bytes; }
  uint64_t live_est_count() const { return fixed.alloc_est_count - fixed.free_est_count; }
};

struct JavaMethodRecord {
  format::JavaMethodFixed fixed{};  // fixed.line_count == lines.size()
  std::string class_signature;
  std::string name;
  std::string signature;
  std::string source_file;
  std::vector<std::pair<uint32_t, uint32_t>> lines;  // (start bci, line)
};

// The kAllocator record: fixed.kind == kUnknown when the dump has none.
struct AllocatorInfo {
  format::AllocatorFixed fixed{};
  std::string path;
};

struct Dump {
  // What the reader found; what WriteDump writes (format::kMinVersion..kVersion: tests and the
  // golden-dump generators write version 1 to keep old dumps covered).
  uint32_t version = format::kVersion;
  ProcessInfo process;
  format::SettingsFixed settings{};
  std::vector<ModuleInfo> modules;
  std::vector<SiteInfo> sites;
  std::vector<format::StreamsFixed> streams;
  format::MemoryFixed memory{};
  format::CountersFixed counters{};
  std::vector<JavaMethodRecord> java_methods;
  format::JavaFixed java{};  // all zero when the dump has no kJava record
  AllocatorInfo allocator;
  std::string recorder_version;  // the kRecorder record; empty when the dump has none
  std::string label;  // the kLabel record; empty when the dump has none (WriteDump writes none)
};

// Where encoded bytes go. Write returns false on failure; the encoder then stops writing.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual bool Write(const void* data, size_t size) = 0;
};

// Appends to a std::string (tests, tools).
class StringSink final : public ByteSink {
 public:
  bool Write(const void* data, size_t size) override;
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

// Buffers and writes to a file descriptor with write(2), retrying on EINTR and short writes.
// Flush() must be called before the descriptor is closed. Allocates only its buffer, once.
class FdSink final : public ByteSink {
 public:
  explicit FdSink(int fd);
  ~FdSink() override;
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;
  bool Write(const void* data, size_t size) override;
  bool Flush();

 private:
  int fd_;
  char* buffer_;
  size_t used_ = 0;
  bool failed_ = false;
};

// Writes a dump record by record. Call Begin once, then records in any order (Process first by
// convention), then Finish, which writes kEnd with the record count and checksum.
// Returns false once any write failed. Not thread-safe.
class DumpEncoder {
 public:
  // Writes format `version` (format::kMinVersion..kVersion; the recorder always writes kVersion).
  // Any other version makes every call fail.
  explicit DumpEncoder(ByteSink* sink, uint32_t version = format::kVersion);
  ~DumpEncoder();
  DumpEncoder(const DumpEncoder&) = delete;
  DumpEncoder& operator=(const DumpEncoder&) = delete;

  bool Begin();
  bool Process(const ProcessInfo& process);
  bool Settings(const format::SettingsFixed& settings);
  // `epochs`, when given, are appended after build_id (format::ModuleEpochs); null writes none,
  // as writers before epochs did.
  bool Module(const format::ModuleFixed& fixed, std::string_view path, std::string_view build_id,
              const format::ModuleEpochs* epochs = nullptr);
  // `fixed.depth` is taken from pcs.size(). `ages` is written from version 2 on (the first form
  // writes zero ages: nothing live, or nothing known).
  // `epoch`, when given, is appended after the PCs (format::SiteEpoch); null writes none.
  bool Site(const format::SiteFixed& fixed, std::span<const uint64_t> pcs,
            const uint32_t* epoch = nullptr);
  bool Site(const format::SiteFixed& fixed, const format::SiteAgesFixed& ages,
            std::span<const uint64_t> pcs, const uint32_t* epoch = nullptr);
  bool Streams(const format::StreamsFixed& streams);
  bool Memory(const format::MemoryFixed& memory);
  bool Counters(const format::CountersFixed& counters);
  // `fixed.line_count` is taken from lines.size().
  bool JavaMethod(const format::JavaMethodFixed& fixed, std::string_view class_signature,
                  std::string_view name, std::string_view signature, std::string_view source_file,
                  std::span<const std::pair<uint32_t, uint32_t>> lines);
  bool Java(const format::JavaFixed& java);
  bool Allocator(const format::AllocatorFixed& fixed, std::string_view path);
  // The kRecorder record: the writer's version, "0.1.0 (git abc1234)" (version.h).
  bool Recorder(std::string_view version);
  // The kLabel record: the label of a requested dump (dump_label.h). Write none when unlabelled.
  bool Label(std::string_view label);
  bool Finish();

 private:
  struct State;
  State* state_;
};

// Encodes a whole Dump (tests, tools).
bool WriteDump(const Dump& dump, ByteSink* sink);

// Parses a whole dump. On failure returns false and sets *error to one line saying what broke and
// at which byte offset (the caller prefixes the file name).
bool ParseDump(std::string_view bytes, Dump* out, std::string* error);

// Reads and parses a file. *error is "<path>: <what broke>" on failure. The file is read piece
// by piece, never whole: memory follows what the dump holds, not the file's size.
bool ReadDumpFile(const std::string& path, Dump* out, std::string* error);

// Reads only a file's header and its process record (who and which seq), to order a series of
// dumps before reading each in full. Checks what it reads as ReadDumpFile does, with the same
// messages, but not the rest of the file (no checksum): a file it accepts may still fail
// ReadDumpFile. Reads the first 64 KiB in the usual case (the recorder writes the process record
// first). *error is "<path>: <what broke>" on failure.
bool ReadDumpProcess(const std::string& path, ProcessInfo* out, std::string* error);

}  // namespace leakscope

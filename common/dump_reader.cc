// SPDX-License-Identifier: Apache-2.0
// ParseDump, ReadDumpFile and ReadDumpProcess. Dumps arrive from crashed, killed or foreign
// processes, so every size field is checked against the bytes that are really there before
// anything is read or allocated.
//
// One Parser serves the in-memory parse, the whole-file read and the process-only read, so all
// three accept and reject the same bytes with the same messages. It asks a Source for the bytes
// of one field at a time. A file is never read whole into memory: its Source preads a small
// window and only the fields the parser keeps are copied out, so a file's size alone (a valid
// dump followed by 64 GiB of zeros, sparse) costs nothing, and the checksum is computed over
// the file in fixed-size pieces. The reader deliberately does not mmap the file: a file truncated
// while mapped (by whoever else can write it) would kill the whole analysis with SIGBUS, where
// pread just reports "file shrank" for that one file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <system_error>
#include <utility>

#include "dump.h"

#define XXH_INLINE_ALL  // Keep xxHash private to this file, as in dump_encoder.cc.
#include <xxhash.h>

namespace leakscope {
namespace {

// Fixed structs are read with memcpy: the little-endian layout is the native one.
static_assert(std::endian::native == std::endian::little);

using format::kMaxSiteDepth;

using format::RecordType;

std::string RecordName(uint32_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kProcess:
      return "process";
    case RecordType::kSettings:
      return "settings";
    case RecordType::kModule:
      return "module";
    case RecordType::kSite:
      return "site";
    case RecordType::kStreams:
      return "streams";
    case RecordType::kMemory:
      return "memory";
    case RecordType::kCounters:
      return "counters";
    case RecordType::kJavaMethod:
      return "java method";
    case RecordType::kJava:
      return "java";
    case RecordType::kAllocator:
      return "allocator";
    case RecordType::kRecorder:
      return "recorder";
    case RecordType::kLabel:
      return "label";
    case RecordType::kEnd:
      return "end";
  }
  return "unknown type " + std::to_string(type);
}

std::string Hex(uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof(buffer), "0x%016" PRIx64, value);
  return buffer;
}

// Where the parser's bytes come from. Get makes [offset, offset + size) available until the next
// call; the parser checks every range against size() first.
class Source {
 public:
  virtual ~Source() = default;
  size_t size() const { return size_; }
  // False after a failed Get, with error() saying why (a read error, a file that shrank).
  virtual bool Get(size_t offset, size_t size, std::string_view* out) = 0;
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 protected:
  explicit Source(size_t size) : size_(size) {}
  size_t size_;
  std::string error_;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : Source(bytes.size()), bytes_(bytes) {}
  bool Get(size_t offset, size_t size, std::string_view* out) override {
    *out = bytes_.substr(offset, size);
    return true;
  }

 private:
  std::string_view bytes_;
};

// A read position inside [pos, end) of a record's payload. Offsets are file offsets, for error
// messages.
class Cursor {
 public:
  Cursor(Source* source, size_t begin, size_t end) : source_(source), pos_(begin), end_(end) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  // False when fewer than `size` bytes remain or the source failed.
  bool Read(void* out, size_t size) {
    std::string_view bytes;
    if (!Take(size, &bytes)) return false;
    if (size > 0) std::memcpy(out, bytes.data(), size);  // `out` may be an empty vector's null
    return true;
  }

  bool Take(size_t size, std::string_view* out) {
    if (size > remaining()) return false;
    if (size > 0 && !source_->Get(pos_, size, out)) return false;
    if (size == 0) *out = {};
    pos_ += size;
    return true;
  }

 private:
  Source* source_;
  size_t pos_;
  size_t end_;
};

class Parser {
 public:
  explicit Parser(Source* source) : source_(source), file_size_(source->size()) {}

  // Parses the whole file: every record, the end record's count and checksum.
  bool Run(Dump* dump);
  // Parses the file header and the records up to the process record, which it reads into
  // dump->process; other records are skipped unread and nothing is checksummed.
  bool RunUntilProcess(Dump* dump);
  const std::string& error() const { return error_; }

 private:
  // Records the error with the current record's prefix ("record 3 (site) at offset 120: "). A
  // failed read is the error, whatever the field that needed it.
  bool Fail(const std::string& what) {
    error_ = Prefix() + (source_->failed() ? source_->error() : what);
    return false;
  }

  // "record 3 (site) at offset 120: " while a record is parsed, else empty. Built only for an
  // error: a trend reads millions of records.
  std::string Prefix() const {
    if (!in_record_) return "";
    return "record " + std::to_string(current_index_) + " (" + RecordName(current_type_) +
           ") at offset " + std::to_string(current_pos_) + ": ";
  }

  // The bytes [offset, offset + size), which the caller has checked lie inside the file.
  bool Get(size_t offset, size_t size, std::string_view* out) {
    return source_->Get(offset, size, out) || Fail("");
  }

  bool Walk(Dump* dump, bool process_only);
  bool ParseFileHeader(Dump* dump, size_t* records_begin);
  std::string NewerVersionMessage(const format::FileHeader& header);
  // The kRecorder string of a dump this reader cannot parse, from the records after `pos`; empty
  // when none is found.
  std::string FindRecorderVersion(size_t pos);
  bool ParseRecord(uint32_t type, Cursor* payload, Dump* dump);
  bool ParseProcess(Cursor* payload, ProcessInfo* process);
  bool ParseModule(Cursor* payload, ModuleInfo* module);
  bool ParseSite(Cursor* payload, SiteInfo* site);
  bool ParseJavaMethod(Cursor* payload, JavaMethodRecord* method);
  bool ParseEnd(Cursor* payload, uint64_t record_index, size_t record_offset);

  // A payload shorter than the fixed part is an error; bytes after the fields this reader knows
  // are left unread (a later version's additions).
  template <typename Fixed>
  bool ReadFixed(Cursor* payload, Fixed* out) {
    if (payload->remaining() < sizeof(Fixed)) {
      return Fail("payload of " + std::to_string(payload->remaining()) +
                  " bytes is shorter than the " + std::to_string(sizeof(Fixed)) +
                  "-byte fixed part");
    }
    return payload->Read(out, sizeof(Fixed)) || Fail("");
  }

  // `field` and `suffix` name what is read, for the message only.
  bool ReadU32(Cursor* payload, std::string_view field, uint32_t* out,
               std::string_view suffix = "") {
    size_t at = payload->offset();
    if (!payload->Read(out, sizeof(*out))) {
      return Fail("payload ends inside " + std::string(field) + std::string(suffix) +
                  " at offset " + std::to_string(at));
    }
    return true;
  }

  bool ReadString(Cursor* payload, std::string_view field, std::string* out) {
    uint32_t length;
    if (!ReadU32(payload, field, &length, " length")) return false;
    if (length > payload->remaining()) {
      return Fail(std::string(field) + " length " + std::to_string(length) + " at offset " +
                  std::to_string(payload->offset() - sizeof(length)) + " exceeds the " +
                  std::to_string(payload->remaining()) + " bytes left in the payload");
    }
    std::string_view bytes;
    if (!payload->Take(length, &bytes)) return Fail("");
    out->assign(bytes);
    return true;
  }

  // The first record of a type that must appear at most once, or -1.
  bool Once(int64_t* first_index, uint64_t index) {
    if (*first_index >= 0) {
      return Fail("duplicate record (the first is record " + std::to_string(*first_index) + ")");
    }
    *first_index = static_cast<int64_t>(index);
    return true;
  }

  Source* source_;
  size_t file_size_;
  std::string error_;
  bool in_record_ = false;  // current_* describe the record being parsed
  uint32_t current_type_ = 0;
  size_t current_pos_ = 0;
  int64_t process_index_ = -1;
  int64_t settings_index_ = -1;
  int64_t memory_index_ = -1;
  int64_t counters_index_ = -1;
  int64_t java_index_ = -1;
  int64_t allocator_index_ = -1;
  int64_t recorder_index_ = -1;
  int64_t label_index_ = -1;
  uint64_t current_index_ = 0;
  uint32_t version_ = format::kVersion;  // the file's, once its header is read
};

bool Parser::ParseFileHeader(Dump* dump, size_t* records_begin) {
  format::FileHeader header;
  std::string_view start;
  if (!Get(0, std::min(file_size_, sizeof(header)), &start)) return false;
  size_t magic_bytes = std::min(file_size_, sizeof(header.magic));
  if (start.substr(0, magic_bytes) != std::string_view(format::kMagic, magic_bytes)) {
    return Fail("bad magic at offset 0: not a leakscope dump");
  }
  if (file_size_ < sizeof(header)) {
    return Fail("truncated: " + std::to_string(file_size_) + " bytes, shorter than the " +
                std::to_string(sizeof(header)) + "-byte file header");
  }
  std::memcpy(&header, start.data(), sizeof(header));
  if (header.version > format::kVersion) return Fail(NewerVersionMessage(header));
  if (header.version < format::kMinVersion) {
    return Fail("unsupported dump version " + std::to_string(header.version) +
                " (this leakscope reads " + std::to_string(format::kMinVersion) + " to " +
                std::to_string(format::kVersion) + ")");
  }
  constexpr size_t kHeaderBytesOffset = offsetof(format::FileHeader, header_bytes);
  if (header.header_bytes < sizeof(header)) {
    return Fail("header_bytes " + std::to_string(header.header_bytes) + " at offset " +
                std::to_string(kHeaderBytesOffset) + " is smaller than the " +
                std::to_string(sizeof(header)) + "-byte header");
  }
  if (header.header_bytes > file_size_) {
    return Fail("truncated: header_bytes " + std::to_string(header.header_bytes) + " at offset " +
                std::to_string(kHeaderBytesOffset) + " exceeds the file size " +
                std::to_string(file_size_));
  }
  dump->version = header.version;
  version_ = header.version;
  *records_begin = header.header_bytes;  // A longer header is a later version's; skip the rest.
  return true;
}

// A dump from a later recorder is not damaged, and the user's remedy is a newer analyzer, not
// another dump: say so, and name the recorder when its kRecorder record can be found (every
// format version keeps that record and the record framing for this).
std::string Parser::NewerVersionMessage(const format::FileHeader& header) {
  std::string writer = FindRecorderVersion(header.header_bytes);
  return "dump format version " + std::to_string(header.version) +
         " is newer than this leakscope reads (version " + std::to_string(format::kVersion) +
         "): written by " + (writer.empty() ? "a later leakscope" : "leakscope " + writer) +
         "; analyze it with that leakscope or a later one";
}

std::string Parser::FindRecorderVersion(size_t pos) {
  // Best effort over the first records only (the recorder writes kRecorder second): a file this
  // reader cannot parse gets no more trust than the framing checks below.
  constexpr int kRecordsLooked = 16;
  constexpr size_t kHeader = sizeof(format::RecordHeader);
  if (pos < sizeof(format::FileHeader) || pos > file_size_) return "";
  for (int i = 0; i < kRecordsLooked && file_size_ - pos >= kHeader; ++i) {
    std::string_view bytes;
    format::RecordHeader header;
    if (!source_->Get(pos, kHeader, &bytes)) return "";
    std::memcpy(&header, bytes.data(), kHeader);
    size_t payload_begin = pos + kHeader;
    if (header.payload_bytes > file_size_ - payload_begin) return "";
    if (header.type == static_cast<uint32_t>(RecordType::kRecorder)) {
      uint32_t length;
      if (header.payload_bytes < sizeof(length) ||
          !source_->Get(payload_begin, sizeof(length), &bytes)) {
        return "";
      }
      std::memcpy(&length, bytes.data(), sizeof(length));
      if (length > header.payload_bytes - sizeof(length) ||
          length > format::kMaxRecorderVersionBytes ||
          !source_->Get(payload_begin + sizeof(length), length, &bytes)) {
        return "";
      }
      // Shown on a terminal: printable ASCII only.
      for (char c : bytes) {
        if (c < 0x20 || c > 0x7e) return "";
      }
      return std::string(bytes);
    }
    pos = payload_begin + header.payload_bytes;
  }
  return "";
}

bool Parser::Run(Dump* dump) { return Walk(dump, /*process_only=*/false); }

bool Parser::RunUntilProcess(Dump* dump) { return Walk(dump, /*process_only=*/true); }

bool Parser::Walk(Dump* dump, bool process_only) {
  size_t pos = 0;
  if (!ParseFileHeader(dump, &pos)) return false;
  for (uint64_t index = 0;; ++index) {
    in_record_ = false;
    current_index_ = index;
    size_t left = file_size_ - pos;
    if (left == 0) {
      return Fail("truncated: no " + std::string(process_only ? "process" : "end") +
                  " record after " + std::to_string(index) + " records (file ends at offset " +
                  std::to_string(pos) + ")");
    }
    if (left < sizeof(format::RecordHeader)) {
      return Fail("truncated: record " + std::to_string(index) + " at offset " +
                  std::to_string(pos) + " has " + std::to_string(left) + " of the " +
                  std::to_string(sizeof(format::RecordHeader)) + " header bytes");
    }
    format::RecordHeader header;
    std::string_view header_bytes;
    if (!Get(pos, sizeof(header), &header_bytes)) return false;
    std::memcpy(&header, header_bytes.data(), sizeof(header));
    // The record header's `reserved` is not checked: writers write 0, and a later version may
    // give it a meaning.
    in_record_ = true;
    current_type_ = header.type;
    current_pos_ = pos;
    size_t payload_begin = pos + sizeof(header);
    size_t payload_left = file_size_ - payload_begin;
    if (header.payload_bytes > payload_left) {
      return Fail("truncated: payload of " + std::to_string(header.payload_bytes) +
                  " bytes exceeds the " + std::to_string(payload_left) + " bytes left in the file");
    }
    size_t payload_end = payload_begin + header.payload_bytes;
    const bool is_end = header.type == static_cast<uint32_t>(RecordType::kEnd);
    const bool is_process = header.type == static_cast<uint32_t>(RecordType::kProcess);
    if (process_only) {
      if (is_end) {
        in_record_ = false;
        return Fail("no process record before the end record at offset " + std::to_string(pos));
      }
      if (!is_process) {  // Skipped unparsed: full validation is ParseDump's.
        pos = payload_end;
        continue;
      }
    }
    Cursor payload(source_, payload_begin, payload_end);
    if (is_end) return ParseEnd(&payload, index, pos);
    if (!ParseRecord(header.type, &payload, dump)) return false;
    if (process_only) return true;  // This was the process record.
    pos = payload_end;
  }
}

bool Parser::ParseRecord(uint32_t type, Cursor* payload, Dump* dump) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::kProcess:
      return Once(&process_index_, current_index_) && ParseProcess(payload, &dump->process);
    case RecordType::kSettings:
      return Once(&settings_index_, current_index_) && ReadFixed(payload, &dump->settings);
    case RecordType::kModule:
      return ParseModule(payload, &dump->modules.emplace_back());
    case RecordType::kSite:
      return ParseSite(payload, &dump->sites.emplace_back());
    case RecordType::kStreams:
      return ReadFixed(payload, &dump->streams.emplace_back());
    case RecordType::kMemory:
      return Once(&memory_index_, current_index_) && ReadFixed(payload, &dump->memory);
    case RecordType::kCounters:
      return Once(&counters_index_, current_index_) && ReadFixed(payload, &dump->counters);
    case RecordType::kJavaMethod:
      return ParseJavaMethod(payload, &dump->java_methods.emplace_back());
    case RecordType::kJava:
      return Once(&java_index_, current_index_) && ReadFixed(payload, &dump->java);
    case RecordType::kAllocator:
      return Once(&allocator_index_, current_index_) &&
             ReadFixed(payload, &dump->allocator.fixed) &&
             ReadString(payload, "path", &dump->allocator.path);
    case RecordType::kRecorder:
      return Once(&recorder_index_, current_index_) &&
             ReadString(payload, "version", &dump->recorder_version);
    case RecordType::kLabel:
      return Once(&label_index_, current_index_) && ReadString(payload, "label", &dump->label);
    case RecordType::kEnd:
      break;  // Handled by the caller.
  }
  return true;  // A record type from a later version: skipped.
}

bool Parser::ParseProcess(Cursor* payload, ProcessInfo* process) {
  if (!ReadFixed(payload, &process->fixed) || !ReadString(payload, "host", &process->host) ||
      !ReadString(payload, "executable", &process->executable)) {
    return false;
  }
  uint32_t argc;
  if (!ReadU32(payload, "argc", &argc)) return false;
  // Every argument takes at least its 4-byte length, which bounds argc before reserving.
  if (argc > payload->remaining() / sizeof(uint32_t)) {
    return Fail("argc " + std::to_string(argc) + " at offset " +
                std::to_string(payload->offset() - sizeof(argc)) + " exceeds what the " +
                std::to_string(payload->remaining()) + " bytes left in the payload can hold");
  }
  process->args.resize(argc);
  for (uint32_t i = 0; i < argc; ++i) {
    if (!ReadString(payload, "arg " + std::to_string(i), &process->args[i])) return false;
  }
  // Appended later (dump_format.h): present when the payload has room for it; a dump without it
  // was recorded on x86-64.
  if (payload->remaining() >= sizeof(format::ProcessMachine)) {
    format::ProcessMachine machine;
    if (!payload->Read(&machine, sizeof(machine))) return Fail("");
    process->machine_known = true;
    process->machine = machine.elf_machine;
  }
  return true;
}

bool Parser::ParseModule(Cursor* payload, ModuleInfo* module) {
  if (!ReadFixed(payload, &module->fixed) || !ReadString(payload, "path", &module->path) ||
      !ReadString(payload, "build_id", &module->build_id)) {
    return false;
  }
  // Appended later (dump_format.h): present when the payload has room for it.
  if (payload->remaining() >= sizeof(module->epochs)) {
    if (!payload->Read(&module->epochs, sizeof(module->epochs))) return Fail("");
    module->epochs_known = true;
  }
  return true;
}

bool Parser::ParseSite(Cursor* payload, SiteInfo* site) {
  if (!ReadFixed(payload, &site->fixed)) return false;
  if (version_ >= 2) {
    if (payload->remaining() < sizeof(site->ages)) {
      return Fail("payload ends inside the site's ages: " + std::to_string(payload->remaining()) +
                  " bytes left after the fixed part, " + std::to_string(sizeof(site->ages)) +
                  " needed");
    }
    if (!payload->Read(&site->ages, sizeof(site->ages))) return Fail("");
    site->ages_known = true;
  }
  uint64_t depth = site->fixed.depth;
  if (depth > payload->remaining() / sizeof(uint64_t)) {
    return Fail("depth " + std::to_string(depth) + " exceeds payload (" +
                std::to_string(depth * sizeof(uint64_t)) + " bytes of pcs, " +
                std::to_string(payload->remaining()) + " left)");
  }
  if (depth > kMaxSiteDepth) {
    return Fail("depth " + std::to_string(depth) + " exceeds the limit of " +
                std::to_string(kMaxSiteDepth) + " frames");
  }
  site->pcs.resize(depth);
  if (!payload->Read(site->pcs.data(), depth * sizeof(uint64_t))) return Fail("");
  if (version_ < format::kFirstVersionWithWideJavaFrames) {
    for (uint64_t& pc : site->pcs) {
      if (format::IsLegacyJavaFrame(pc)) pc = format::UpgradeLegacyJavaFrame(pc);
    }
  }
  // Appended later (dump_format.h): present when the payload has room for it.
  format::SiteEpoch trailer;
  if (payload->remaining() >= sizeof(trailer)) {
    if (!payload->Read(&trailer, sizeof(trailer))) return Fail("");
    site->epoch = trailer.epoch;
    site->epoch_known = true;
  }
  return true;
}

bool Parser::ParseJavaMethod(Cursor* payload, JavaMethodRecord* method) {
  if (!ReadFixed(payload, &method->fixed) ||
      !ReadString(payload, "class_signature", &method->class_signature) ||
      !ReadString(payload, "name", &method->name) ||
      !ReadString(payload, "signature", &method->signature) ||
      !ReadString(payload, "source_file", &method->source_file)) {
    return false;
  }
  uint64_t count = method->fixed.line_count;
  if (count > payload->remaining() / (2 * sizeof(uint32_t))) {
    return Fail("line_count " + std::to_string(count) + " exceeds payload (" +
                std::to_string(payload->remaining()) + " bytes left)");
  }
  method->lines.resize(count);
  for (auto& [bci, line] : method->lines) {
    if (!payload->Read(&bci, sizeof(bci)) || !payload->Read(&line, sizeof(line))) return Fail("");
  }
  return true;
}

bool Parser::ParseEnd(Cursor* payload, uint64_t record_index, size_t record_offset) {
  format::EndFixed end;
  if (!ReadFixed(payload, &end)) return false;
  if (end.record_count != record_index) {
    return Fail("record count " + std::to_string(end.record_count) + " does not match the " +
                std::to_string(record_index) + " records before the end record");
  }
  // In pieces: a file larger than the source's window is never all in memory at once (a smaller
  // one is, since it was read whole, and this pass reads memory).
  constexpr size_t kHashPiece = 1 << 20;
  XXH64_state_t state;
  XXH64_reset(&state, 0);
  for (size_t at = 0; at < record_offset; at += kHashPiece) {
    std::string_view piece;
    if (!Get(at, std::min(kHashPiece, record_offset - at), &piece)) return false;
    XXH64_update(&state, piece.data(), piece.size());
  }
  uint64_t actual = XXH64_digest(&state);
  if (end.xxh64 != actual) {
    return Fail("checksum " + Hex(end.xxh64) + " does not match " + Hex(actual) + " of the " +
                std::to_string(record_offset) + " bytes before the end record");
  }
  size_t end_of_record = payload->offset() + payload->remaining();
  if (end_of_record != file_size_) {
    return Fail(std::to_string(file_size_ - end_of_record) + " unexpected bytes after the end " +
                "record, from offset " + std::to_string(end_of_record));
  }
  if (process_index_ < 0) {
    in_record_ = false;
    return Fail("no process record before the end record at offset " +
                std::to_string(record_offset));
  }
  return true;
}

// Runs the parser, turning an allocation the machine cannot satisfy into an error for this one
// dump: every size is checked against the file's real size, but a large sparse file can
// legitimately claim more than the machine holds, and that must not abort a trend over many.
bool RunParser(Source* source, bool process_only, Dump* dump, std::string* why) {
  Parser parser(source);
  try {
    bool ok = process_only ? parser.RunUntilProcess(dump) : parser.Run(dump);
    if (!ok) *why = parser.error();
    return ok;
  } catch (const std::bad_alloc&) {  // std::length_error is never thrown: sizes are < 2^40
    *dump = Dump();
    *why = "out of memory: the dump's " + std::to_string(source->size()) +
           " bytes hold more than this machine can analyse";
    return false;
  }
}

}  // namespace

bool ParseDump(std::string_view bytes, Dump* out, std::string* error) {
  Dump dump;
  MemorySource source(bytes);
  std::string why;
  if (!RunParser(&source, /*process_only=*/false, &dump, &why)) {
    if (error != nullptr) *error = why;
    return false;
  }
  *out = std::move(dump);
  return true;
}

namespace {

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

// An open dump file, a regular non-empty one, read through a window of `window` bytes (or one
// field, when a field is larger). Closes on destruction.
class FileSource final : public Source {
 public:
  // A whole read takes a dump of up to kWholeWindow in one read(2), which its checksum pass then
  // reads from memory; reading only the process record takes a few KiB of each file.
  static constexpr size_t kWholeWindow = 32 << 20;
  static constexpr size_t kHeadWindow = 4 << 10;

  explicit FileSource(size_t window) : Source(0), window_bytes_(window) {}
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }

  // On failure sets *why (without the path).
  bool Open(const std::string& path, std::string* why) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer. It is no-op for regular files.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) return Fail("cannot open: " + ErrnoText(), why);
    struct stat st;
    if (::fstat(fd_, &st) != 0) return Fail("cannot stat: " + ErrnoText(), why);
    if (S_ISDIR(st.st_mode)) return Fail("is a directory, not a dump file", why);
    if (!S_ISREG(st.st_mode)) return Fail("not a regular file", why);
    if (st.st_size == 0) return Fail("empty file (0 bytes), not a dump", why);
    size_ = static_cast<size_t>(st.st_size);
    return true;
  }

  bool Get(size_t offset, size_t size, std::string_view* out) override {
    if (offset < window_offset_ || offset + size > window_offset_ + window_used_) {
      // Read ahead: records are parsed in file order, mostly a few bytes at a time.
      size_t want = std::min(std::max(size, window_bytes_), size_ - offset);
      if (want > capacity_) {
        window_.reset();  // before allocating the larger one
        capacity_ = 0;
        window_.reset(new char[want]);
        capacity_ = want;
      }
      window_offset_ = offset;
      window_used_ = 0;
      while (window_used_ < want) {
        ssize_t n = ::pread(fd_, window_.get() + window_used_, want - window_used_,
                            static_cast<off_t>(offset + window_used_));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          error_ =
              "read failed at offset " + std::to_string(offset + window_used_) + ": " + ErrnoText();
          return false;
        }
        if (n == 0) break;
        window_used_ += static_cast<size_t>(n);
      }
      if (window_used_ < size) {
        error_ = "file shrank to " + std::to_string(offset + window_used_) + " bytes from " +
                 std::to_string(size_) + " while being read";
        return false;
      }
    }
    *out = std::string_view(window_.get() + (offset - window_offset_), size);
    return true;
  }

 private:
  static bool Fail(std::string what, std::string* why) {
    *why = std::move(what);
    return false;
  }

  size_t window_bytes_;
  int fd_ = -1;
  std::unique_ptr<char[]> window_;
  size_t capacity_ = 0;
  size_t window_offset_ = 0;
  size_t window_used_ = 0;
};

bool ReadFile(const std::string& path, bool process_only, Dump* dump, std::string* error) {
  std::string why;
  FileSource file(process_only ? FileSource::kHeadWindow : FileSource::kWholeWindow);
  bool ok = file.Open(path, &why) && RunParser(&file, process_only, dump, &why);
  if (!ok && error != nullptr) *error = path + ": " + why;
  return ok;
}

}  // namespace

bool ReadDumpFile(const std::string& path, Dump* out, std::string* error) {
  Dump dump;
  if (!ReadFile(path, /*process_only=*/false, &dump, error)) return false;
  *out = std::move(dump);
  return true;
}

bool ReadDumpProcess(const std::string& path, ProcessInfo* out, std::string* error) {
  // The recorder writes the process record first, so the first window mostly holds it; a foreign
  // writer's records before it are skipped unread.
  Dump dump;
  if (!ReadFile(path, /*process_only=*/true, &dump, error)) return false;
  *out = std::move(dump.process);
  return true;
}

}  // namespace leakscope

// ParseDump, ReadDumpFile and ReadDumpProcess. Dumps arrive from crashed, killed or foreign
// processes, so every size field is checked against the bytes that are really there before
// anything is read or allocated: a dump of N bytes never makes the reader allocate much more than
// N bytes, whatever it claims.
//
// One Parser serves both the whole-file read and the process-only read, so the two accept and
// reject the same bytes with the same messages. The process-only read parses a prefix of the
// file and asks for more (need_bytes) when a record it must look at lies beyond it.
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

// A read position inside [pos, end) of the file. Offsets are file offsets, for error messages.
class Cursor {
 public:
  Cursor(std::string_view file, size_t begin, size_t end) : file_(file), pos_(begin), end_(end) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  bool Read(void* out, size_t size) {
    if (size > remaining()) return false;
    if (size == 0) return true;  // `out` may be the null data() of an empty vector.
    std::memcpy(out, file_.data() + pos_, size);
    pos_ += size;
    return true;
  }

  // Callers check remaining() first.
  std::string_view Take(size_t size) {
    std::string_view bytes = file_.substr(pos_, size);
    pos_ += size;
    return bytes;
  }

 private:
  std::string_view file_;
  size_t pos_;
  size_t end_;
};

class Parser {
 public:
  // `file` holds the first file.size() bytes of a file of `file_size` bytes (all of it for
  // ParseDump).
  Parser(std::string_view file, size_t file_size) : file_(file), file_size_(file_size) {}

  // Parses the whole file: every record, the end record's count and checksum.
  bool Run(Dump* dump);
  // Parses the file header and the records up to the process record, which it reads into
  // dump->process; other records are skipped unread and nothing is checksummed. Returns false
  // with need_bytes() > 0 when the prefix is too short to decide.
  bool RunUntilProcess(Dump* dump);
  const std::string& error() const { return error_; }
  size_t need_bytes() const { return need_bytes_; }

 private:
  // Records the error with the current record's prefix ("record 3 (site) at offset 120: ").
  bool Fail(const std::string& what) {
    error_ = prefix_ + what;
    return false;
  }

  // False (without an error) when the first `end` bytes of the file are not in file_ yet.
  bool Have(size_t end) {
    if (end <= file_.size()) return true;
    need_bytes_ = end;
    return false;
  }

  bool Walk(Dump* dump, bool process_only);
  bool ParseFileHeader(Dump* dump, size_t* records_begin);
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
    payload->Read(out, sizeof(Fixed));
    return true;
  }

  bool ReadU32(Cursor* payload, const std::string& field, uint32_t* out) {
    size_t at = payload->offset();
    if (!payload->Read(out, sizeof(*out))) {
      return Fail("payload ends inside " + field + " at offset " + std::to_string(at));
    }
    return true;
  }

  bool ReadString(Cursor* payload, const std::string& field, std::string* out) {
    uint32_t length;
    if (!ReadU32(payload, field + " length", &length)) return false;
    if (length > payload->remaining()) {
      return Fail(field + " length " + std::to_string(length) + " at offset " +
                  std::to_string(payload->offset() - sizeof(length)) + " exceeds the " +
                  std::to_string(payload->remaining()) + " bytes left in the payload");
    }
    out->assign(payload->Take(length));
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

  std::string_view file_;
  size_t file_size_;
  size_t need_bytes_ = 0;
  std::string error_;
  std::string prefix_;
  int64_t process_index_ = -1;
  int64_t settings_index_ = -1;
  int64_t memory_index_ = -1;
  int64_t counters_index_ = -1;
  int64_t java_index_ = -1;
  int64_t allocator_index_ = -1;
  uint64_t current_index_ = 0;
};

bool Parser::ParseFileHeader(Dump* dump, size_t* records_begin) {
  format::FileHeader header;
  if (!Have(std::min(file_size_, sizeof(header)))) return false;
  size_t magic_bytes = std::min(file_size_, sizeof(header.magic));
  if (file_.substr(0, magic_bytes) != std::string_view(format::kMagic, magic_bytes)) {
    return Fail("bad magic at offset 0: not a leakscope dump");
  }
  if (file_size_ < sizeof(header)) {
    return Fail("truncated: " + std::to_string(file_size_) + " bytes, shorter than the " +
                std::to_string(sizeof(header)) + "-byte file header");
  }
  std::memcpy(&header, file_.data(), sizeof(header));
  if (header.version != format::kVersion) {
    return Fail("unsupported dump version " + std::to_string(header.version) +
                " (this leakscope reads " + std::to_string(format::kVersion) + ")");
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
  *records_begin = header.header_bytes;  // A longer header is a later version's; skip the rest.
  return true;
}

bool Parser::Run(Dump* dump) { return Walk(dump, /*process_only=*/false); }

bool Parser::RunUntilProcess(Dump* dump) { return Walk(dump, /*process_only=*/true); }

bool Parser::Walk(Dump* dump, bool process_only) {
  size_t pos = 0;
  if (!ParseFileHeader(dump, &pos)) return false;
  for (uint64_t index = 0;; ++index) {
    prefix_.clear();
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
    if (!Have(pos + sizeof(format::RecordHeader))) return false;
    format::RecordHeader header;
    std::memcpy(&header, file_.data() + pos, sizeof(header));
    // `truncated_walks` (once `libunwind_walks`, before that `reserved`): any value reads.
    prefix_ = "record " + std::to_string(index) + " (" + RecordName(header.type) + ") at offset " +
              std::to_string(pos) + ": ";
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
        prefix_.clear();
        return Fail("no process record before the end record at offset " + std::to_string(pos));
      }
      if (!is_process) {  // Skipped unparsed: full validation is ParseDump's.
        pos = payload_end;
        continue;
      }
    }
    if (!Have(payload_end)) return false;
    Cursor payload(file_, payload_begin, payload_end);
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
  return true;
}

bool Parser::ParseModule(Cursor* payload, ModuleInfo* module) {
  return ReadFixed(payload, &module->fixed) && ReadString(payload, "path", &module->path) &&
         ReadString(payload, "build_id", &module->build_id);
}

bool Parser::ParseSite(Cursor* payload, SiteInfo* site) {
  if (!ReadFixed(payload, &site->fixed)) return false;
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
  payload->Read(site->pcs.data(), depth * sizeof(uint64_t));
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
    payload->Read(&bci, sizeof(bci));
    payload->Read(&line, sizeof(line));
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
  uint64_t actual = XXH64(file_.data(), record_offset, 0);
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
    prefix_.clear();
    return Fail("no process record before the end record at offset " +
                std::to_string(record_offset));
  }
  return true;
}

}  // namespace

bool ParseDump(std::string_view bytes, Dump* out, std::string* error) {
  Dump dump;
  Parser parser(bytes, bytes.size());
  if (!parser.Run(&dump)) {
    if (error != nullptr) *error = parser.error();
    return false;
  }
  *out = std::move(dump);
  return true;
}

namespace {

std::string ErrnoText() { return std::error_code(errno, std::generic_category()).message(); }

// An open dump file: a regular, non-empty file. Closes on destruction.
class DumpFile {
 public:
  DumpFile() = default;
  DumpFile(const DumpFile&) = delete;
  DumpFile& operator=(const DumpFile&) = delete;
  ~DumpFile() {
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

  size_t size() const { return size_; }

  // Appends file bytes from offset bytes->size() until bytes->size() == `until` or end of file.
  bool ReadUpTo(size_t until, std::string* bytes, std::string* why) {
    size_t used = bytes->size();
    if (until > used) bytes->resize(until);
    while (used < until) {
      ssize_t n = ::pread(fd_, bytes->data() + used, until - used, static_cast<off_t>(used));
      if (n < 0) {
        if (errno == EINTR) continue;
        return Fail("read failed at offset " + std::to_string(used) + ": " + ErrnoText(), why);
      }
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    bytes->resize(used);
    return true;
  }

 private:
  static bool Fail(std::string what, std::string* why) {
    *why = std::move(what);
    return false;
  }

  int fd_ = -1;
  size_t size_ = 0;
};

}  // namespace

bool ReadDumpFile(const std::string& path, Dump* out, std::string* error) {
  std::string why;
  DumpFile file;
  std::string bytes;
  // One byte more than the size, so reaching end of file needs no second buffer; the loop still
  // copes with a file that grows while being read.
  bool ok = file.Open(path, &why);
  for (size_t want = file.size() + 1; ok; want *= 2) {
    ok = file.ReadUpTo(want, &bytes, &why);
    if (ok && bytes.size() < want) break;  // end of file
  }
  if (ok && !ParseDump(bytes, out, &why)) ok = false;
  if (!ok && error != nullptr) *error = path + ": " + why;
  return ok;
}

bool ReadDumpProcess(const std::string& path, ProcessInfo* out, std::string* error) {
  // The recorder writes the process record first, so the first few KiB hold it; a foreign
  // writer's records before it are skipped (read, but not parsed).
  constexpr size_t kFirstRead = 4096;
  std::string why;
  DumpFile file;
  std::string bytes;
  bool ok = file.Open(path, &why);
  size_t file_size = file.size();
  for (size_t want = std::min(file_size, kFirstRead); ok;) {
    ok = file.ReadUpTo(want, &bytes, &why);
    if (!ok) break;
    // A file that shrank since fstat is parsed as the bytes it still has.
    if (bytes.size() < want) file_size = bytes.size();
    Dump dump;
    Parser parser(bytes, file_size);
    if (parser.RunUntilProcess(&dump)) {
      *out = std::move(dump.process);
      return true;
    }
    if (parser.need_bytes() == 0) {
      why = parser.error();
      ok = false;
    } else {
      // Doubling keeps the rereads of a foreign file linear in its size.
      want = std::min(file_size, std::max(parser.need_bytes(), 2 * want));
    }
  }
  if (error != nullptr) *error = path + ": " + why;
  return false;
}

}  // namespace leakscope

// ParseDump and ReadDumpFile. Dumps arrive from crashed, killed or foreign processes, so every size
// field is checked against the bytes that are really there before anything is read or allocated:
// a dump of N bytes never makes the reader allocate much more than N bytes, whatever it claims.
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
  explicit Parser(std::string_view file) : file_(file) {}

  bool Run(Dump* dump);
  const std::string& error() const { return error_; }

 private:
  // Records the error with the current record's prefix ("record 3 (site) at offset 120: ").
  bool Fail(const std::string& what) {
    error_ = prefix_ + what;
    return false;
  }

  bool ParseFileHeader(Dump* dump, size_t* records_begin);
  bool ParseRecord(uint32_t type, Cursor* payload, Dump* dump);
  bool ParseProcess(Cursor* payload, ProcessInfo* process);
  bool ParseModule(Cursor* payload, ModuleInfo* module);
  bool ParseSite(Cursor* payload, SiteInfo* site);
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
  std::string error_;
  std::string prefix_;
  int64_t process_index_ = -1;
  int64_t settings_index_ = -1;
  int64_t memory_index_ = -1;
  int64_t counters_index_ = -1;
  uint64_t current_index_ = 0;
};

bool Parser::ParseFileHeader(Dump* dump, size_t* records_begin) {
  format::FileHeader header;
  size_t magic_bytes = std::min(file_.size(), sizeof(header.magic));
  if (file_.substr(0, magic_bytes) != std::string_view(format::kMagic, magic_bytes)) {
    return Fail("bad magic at offset 0: not a leakscope dump");
  }
  if (file_.size() < sizeof(header)) {
    return Fail("truncated: " + std::to_string(file_.size()) + " bytes, shorter than the " +
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
  if (header.header_bytes > file_.size()) {
    return Fail("truncated: header_bytes " + std::to_string(header.header_bytes) + " at offset " +
                std::to_string(kHeaderBytesOffset) + " exceeds the file size " +
                std::to_string(file_.size()));
  }
  dump->version = header.version;
  *records_begin = header.header_bytes;  // A longer header is a later version's; skip the rest.
  return true;
}

bool Parser::Run(Dump* dump) {
  size_t pos;
  if (!ParseFileHeader(dump, &pos)) return false;
  for (uint64_t index = 0;; ++index) {
    prefix_.clear();
    current_index_ = index;
    size_t left = file_.size() - pos;
    if (left == 0) {
      return Fail("truncated: no end record after " + std::to_string(index) +
                  " records (file ends at offset " + std::to_string(pos) + ")");
    }
    if (left < sizeof(format::RecordHeader)) {
      return Fail("truncated: record " + std::to_string(index) + " at offset " +
                  std::to_string(pos) + " has " + std::to_string(left) + " of the " +
                  std::to_string(sizeof(format::RecordHeader)) + " header bytes");
    }
    format::RecordHeader header;
    std::memcpy(&header, file_.data() + pos, sizeof(header));
    // `reserved` is not checked: writers write 0 and a later version may give it a meaning.
    prefix_ = "record " + std::to_string(index) + " (" + RecordName(header.type) + ") at offset " +
              std::to_string(pos) + ": ";
    size_t payload_begin = pos + sizeof(header);
    size_t payload_left = file_.size() - payload_begin;
    if (header.payload_bytes > payload_left) {
      return Fail("truncated: payload of " + std::to_string(header.payload_bytes) +
                  " bytes exceeds the " + std::to_string(payload_left) + " bytes left in the file");
    }
    size_t payload_end = payload_begin + header.payload_bytes;
    Cursor payload(file_, payload_begin, payload_end);
    if (header.type == static_cast<uint32_t>(RecordType::kEnd)) {
      return ParseEnd(&payload, index, pos);
    }
    if (!ParseRecord(header.type, &payload, dump)) return false;
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
  if (end_of_record != file_.size()) {
    return Fail(std::to_string(file_.size() - end_of_record) + " unexpected bytes after the end " +
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
  Parser parser(bytes);
  if (!parser.Run(&dump)) {
    if (error != nullptr) *error = parser.error();
    return false;
  }
  *out = std::move(dump);
  return true;
}

bool ReadDumpFile(const std::string& path, Dump* out, std::string* error) {
  auto fail = [&](const std::string& what) {
    if (error != nullptr) *error = path + ": " + what;
    return false;
  };
  auto errno_text = [] { return std::error_code(errno, std::generic_category()).message(); };

  // O_NONBLOCK: opening a FIFO must not wait for a writer. It is no-op for regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return fail("cannot open: " + errno_text());
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st;
  if (::fstat(fd, &st) != 0) return fail("cannot stat: " + errno_text());
  if (S_ISDIR(st.st_mode)) return fail("is a directory, not a dump file");
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  if (st.st_size == 0) return fail("empty file (0 bytes), not a dump");

  // One byte more than the size, so reaching end of file never needs a second buffer; the loop
  // still copes with a file that changes size while being read.
  std::string bytes(static_cast<size_t>(st.st_size) + 1, '\0');
  size_t used = 0;
  while (true) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("read failed at offset " + std::to_string(used) + ": " + errno_text());
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  bytes.resize(used);

  std::string why;
  if (!ParseDump(bytes, out, &why)) return fail(why);
  return true;
}

}  // namespace leakscope

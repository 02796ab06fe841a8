// SPDX-License-Identifier: Apache-2.0
#include "spark/unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace leakscope::analyzer {
namespace {

constexpr size_t kChunk = 1 << 20;
// Chunks overlap by this much, so a magic or a "Container:" line cut by a chunk boundary is seen
// whole in the next chunk.
constexpr size_t kOverlap = 512;
constexpr std::string_view kMagic(format::kMagic, sizeof(format::kMagic));
constexpr std::string_view kContainer = "Container: ";

class InputFile {
 public:
  ~InputFile() {
    if (fd_ >= 0) close(fd_);
  }
  bool Open(const std::string& path, std::string* error) {
    if (path == "-") return OpenStandardInput(error);
    // O_NONBLOCK: a FIFO must not block the scan waiting for a writer.
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd_ < 0 || fstat(fd_, &st) != 0) {
      *error = absl::StrCat(path, ": cannot open: ", strerror(errno));
      return false;
    }
    if (!S_ISREG(st.st_mode)) {
      *error = absl::StrCat(path, ": not a regular file");
      return false;
    }
    size_ = static_cast<uint64_t>(st.st_size);
    return true;
  }
  uint64_t size() const { return size_; }

  // Standard input as it is when it is a regular file (`< file`); else (a pipe from `yarn logs`)
  // copied into an unnamed temporary file first, since the scan reads at offsets.
  bool OpenStandardInput(std::string* error) {
    struct stat st;
    if (fstat(STDIN_FILENO, &st) != 0) {
      *error = absl::StrCat("standard input: ", strerror(errno));
      return false;
    }
    if (S_ISREG(st.st_mode)) {
      fd_ = dup(STDIN_FILENO);
      size_ = static_cast<uint64_t>(st.st_size);
      if (fd_ < 0) *error = absl::StrCat("standard input: ", strerror(errno));
      return fd_ >= 0;
    }
    const char* tmp = getenv("TMPDIR");
    std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    fd_ = open(dir.c_str(), O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      *error = absl::StrCat("standard input: cannot make a temporary file in ", dir, ": ",
                            strerror(errno));
      return false;
    }
    std::string buffer(kChunk, '\0');
    for (;;) {
      ssize_t n = read(STDIN_FILENO, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *error = absl::StrCat("standard input: read failed: ", strerror(errno));
        return false;
      }
      if (n == 0) break;
      for (ssize_t done = 0; done < n;) {
        ssize_t w = write(fd_, buffer.data() + done, static_cast<size_t>(n - done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
          *error = absl::StrCat("standard input: cannot copy to ", dir, ": ", strerror(errno));
          return false;
        }
        done += w;
      }
      size_ += static_cast<uint64_t>(n);
    }
    return true;
  }

  // Reads [offset, offset + n) (clipped to the file) into *out; false on a read error.
  bool Read(uint64_t offset, size_t n, std::string* out) {
    n = static_cast<size_t>(std::min<uint64_t>(n, size_ - std::min(offset, size_)));
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t got = pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    out->resize(done);
    return done == n;
  }

  // Copies the `n` bytes at `offset` (inside the file) to `out` through a read-ahead window:
  // record headers are 16 bytes, and one pread each would dominate a walk.
  bool ReadSmall(uint64_t offset, size_t n, void* out) {
    if (offset < window_offset_ || offset + n > window_offset_ + window_.size()) {
      if (!Read(offset, kWindow, &window_)) return false;
      window_offset_ = offset;
      if (window_.size() < n) return false;
    }
    memcpy(out, window_.data() + (offset - window_offset_), n);
    return true;
  }

 private:
  static constexpr size_t kWindow = 64 << 10;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string window_;
  uint64_t window_offset_ = 0;
};

// Where the record walk from a record header position led: to the end record at `end_record`
// after `records` more records, or (end_record == 0: a dump's records start at 16 or later)
// nowhere inside the input. The walk from a position depends only on the bytes from there on, so
// a walk that steps on a remembered position knows the rest at once, and every record header is
// read at most once over the whole scan. Without this, input made of nested fake dumps (each
// magic's walk running through all the others) made the scan quadratic.
struct WalkEnd {
  uint64_t end_record = 0;
  uint64_t records = 0;
};

class WalkMemo {
 public:
  const WalkEnd* Find(uint64_t pos) const {
    auto it = ends_.find(pos);
    return it == ends_.end() ? nullptr : &it->second;
  }
  void Set(uint64_t pos, WalkEnd end) { ends_[pos] = end; }
  // Remembers the positions of a finished walk, in order, that led to `end`.
  void Remember(const std::vector<uint64_t>& walked, WalkEnd end) {
    for (size_t i = 0; i < walked.size(); ++i) {
      uint64_t more = end.end_record == 0 ? 0 : end.records + (walked.size() - i);
      ends_[walked[i]] = WalkEnd{end.end_record, more};
    }
  }
  // Forgets positions before `pos`, which no later walk can reach (walks only go forward). Runs
  // when the memo has doubled since the last time, so it costs O(1) per entry. Past kMaxEntries
  // what remains is dropped: the scan stays correct, only slower, on such crafted input.
  void Forget(uint64_t pos) {
    if (ends_.size() < 2 * kept_ + 1024) return;
    absl::erase_if(ends_, [pos](const auto& entry) { return entry.first < pos; });
    if (ends_.size() > kMaxEntries) ends_.clear();
    kept_ = ends_.size();
  }

 private:
  static constexpr size_t kMaxEntries = size_t{4} << 20;  // about 128 MiB
  absl::flat_hash_map<uint64_t, WalkEnd> ends_;
  size_t kept_ = 0;
};

// The last container id named by a complete "Container: <id> on ..." line in `text`.
void UpdateContainer(std::string_view text, std::string* container) {
  for (size_t at = text.find(kContainer); at != std::string_view::npos;
       at = text.find(kContainer, at + 1)) {
    std::string_view rest = text.substr(at + kContainer.size());
    size_t end = rest.find('\n');
    if (end == std::string_view::npos) break;
    std::string_view id = rest.substr(0, std::min(end, rest.find(' ')));
    if (!id.empty()) *container = std::string(id);
  }
}

// The name on the last complete "LogType:<name>" line (at a line start: not "End of LogType:")
// in `text`.
void UpdateLogFile(std::string_view text, bool at_line_start, std::string* log_file) {
  constexpr std::string_view kLogType = "LogType:";
  for (size_t at = text.find(kLogType); at != std::string_view::npos;
       at = text.find(kLogType, at + 1)) {
    if (at == 0 ? !at_line_start : text[at - 1] != '\n') continue;
    std::string_view rest = text.substr(at + kLogType.size());
    size_t end = rest.find('\n');
    if (end == std::string_view::npos) break;
    *log_file = std::string(rest.substr(0, end));
  }
}

// "<path>: " or "<path>: <log file> of <container>: ", to name the file a message is about.
std::string Where(const std::string& path, const std::string& log_file,
                  const std::string& container) {
  if (log_file.empty()) return absl::StrCat(path, ": ");
  if (container.empty()) return absl::StrCat(path, ": ", log_file, ": ");
  return absl::StrCat(path, ": ", log_file, " of ", container, ": ");
}

// The length of the dump starting at `start` found by following its record headers to the end
// record, whose record count must match; 0 with *why when they do not lead there inside the file.
uint64_t DumpLength(InputFile* file, uint64_t start, WalkMemo* memo, std::string* why) {
  format::FileHeader header;
  if (file->size() - start < sizeof(header) || !file->ReadSmall(start, sizeof(header), &header)) {
    *why = "truncated file header";
    return 0;
  }
  // Every version this leakscope reads shares the record framing walked below.
  if (header.version < format::kMinVersion || header.version > format::kVersion) {
    *why = absl::StrCat("unsupported dump version ", header.version, " (this leakscope reads ",
                        format::kMinVersion, " to ", format::kVersion, ")");
    return 0;
  }
  if (header.header_bytes < sizeof(header)) {
    *why = absl::StrCat("header_bytes ", header.header_bytes, " is smaller than the header");
    return 0;
  }
  uint64_t pos = start + header.header_bytes;
  std::vector<uint64_t> walked;  // the record headers this walk read, in order
  WalkEnd found;
  for (;;) {
    if (const WalkEnd* known = memo->Find(pos)) {
      found = *known;
      break;
    }
    format::RecordHeader record;
    if (pos > file->size() || file->size() - pos < sizeof(record) ||
        !file->ReadSmall(pos, sizeof(record), &record) ||
        record.payload_bytes > file->size() - pos - sizeof(record)) {
      walked.push_back(pos);
      break;
    }
    if (record.type == static_cast<uint32_t>(format::RecordType::kEnd)) {
      found = WalkEnd{pos, 0};
      memo->Set(pos, found);
      break;
    }
    walked.push_back(pos);
    pos += sizeof(record) + record.payload_bytes;
  }
  memo->Remember(walked, found);
  if (found.end_record == 0) {
    *why = absl::StrCat("truncated: the records from offset ", header.header_bytes,
                        " lead to no end record inside the input");
    return 0;
  }
  uint64_t records = found.records + walked.size();
  format::RecordHeader end_header;
  format::EndFixed end;
  if (!file->ReadSmall(found.end_record, sizeof(end_header), &end_header)) {
    *why = "read failed";
    return 0;
  }
  uint64_t length = found.end_record + sizeof(end_header) + end_header.payload_bytes - start;
  // The end record's count is checked here, before the dump is read and checksummed, so a
  // candidate whose walk merges into another dump's records costs no more than its walk.
  if (end_header.payload_bytes >= sizeof(end) &&
      file->ReadSmall(found.end_record + sizeof(end_header), sizeof(end), &end) &&
      end.record_count != records) {
    *why = absl::StrCat("the end record at offset ", found.end_record - start, " counts ",
                        end.record_count, " records, not the ", records, " before it");
    return 0;
  }
  return length;  // ParseDump checks the rest
}

}  // namespace

bool IsTemporaryName(const std::string& name) {
  std::string_view base(name);
  if (size_t slash = base.rfind('/'); slash != std::string_view::npos) {
    base.remove_prefix(slash + 1);
  }
  return base.starts_with(".") && base.ends_with(".tmp");
}

bool ScanEmbeddedDumps(const std::string& path, const std::function<void(EmbeddedDump&&)>& found,
                       std::vector<std::string>* errors, std::vector<std::string>* skipped) {
  InputFile file;
  std::string error;
  const std::string name = path == "-" ? "standard input" : path;
  if (!file.Open(path, &error)) {
    errors->push_back(error);
    return false;
  }
  std::string container;
  std::string log_file;
  std::string chunk;  // the input's bytes [chunk_pos, chunk_pos + chunk.size())
  uint64_t chunk_pos = 0;
  bool have_chunk = false;
  uint64_t pos = 0;  // where the search for the next magic goes on
  WalkMemo memo;
  while (pos < file.size()) {
    // Search the chunk in hand from `pos`: rereading a chunk per candidate was quadratic.
    if (!have_chunk || pos < chunk_pos || pos >= chunk_pos + chunk.size()) {
      if (!file.Read(pos, kChunk, &chunk)) {
        errors->push_back(
            absl::StrCat(name, ": read failed at offset ", pos, ": ", strerror(errno)));
        return false;
      }
      chunk_pos = pos;
      have_chunk = true;
    }
    std::string_view rest = std::string_view(chunk).substr(pos - chunk_pos);
    size_t magic = rest.find(kMagic);
    std::string_view before = rest.substr(0, magic);
    UpdateContainer(before, &container);
    // `before` starts at a line start at the file's start or right after a newline; overlapping
    // chunks see every header line whole at least once.
    bool at_line_start = pos == 0 || (pos > chunk_pos && chunk[pos - chunk_pos - 1] == '\n');
    UpdateLogFile(before, at_line_start, &log_file);
    if (magic == std::string_view::npos) {
      uint64_t chunk_end = chunk_pos + chunk.size();
      if (chunk_end >= file.size()) break;
      // The next chunk starts kOverlap bytes early, so a magic or line cut here is seen whole.
      pos = std::max(pos, chunk.size() > kOverlap ? chunk_end - kOverlap : chunk_end);
      have_chunk = false;
      continue;
    }
    uint64_t start = pos + magic;
    if (IsTemporaryName(log_file)) {
      // A dump being written when it was collected: its complete version is (or will be) the
      // file without the dot and .tmp. Skipped whole, once.
      if (skipped->empty() || skipped->back() != absl::StrCat(name, ": ", log_file)) {
        skipped->push_back(absl::StrCat(name, ": ", log_file));
      }
      pos = start + kMagic.size();
      continue;
    }
    memo.Forget(start);
    std::string why;
    uint64_t length = DumpLength(&file, start, &memo, &why);
    EmbeddedDump dump;
    dump.container = container;
    dump.log_file = log_file;
    dump.offset = start;
    Dump parsed;
    if (length > 0) {
      if (!file.Read(start, static_cast<size_t>(length), &dump.bytes)) {
        why = absl::StrCat("read failed: ", strerror(errno));
      } else if (ParseDump(dump.bytes, &parsed, &why)) {
        dump.process = std::move(parsed.process);
        found(std::move(dump));
        pos = start + length;
        continue;
      }
    }
    errors->push_back(
        absl::StrCat(Where(name, log_file, container), "dump at offset ", start, ": ", why));
    pos = start + kMagic.size();  // look for the next one after this magic
  }
  return true;
}

}  // namespace leakscope::analyzer

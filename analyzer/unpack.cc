#include "unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace leakscope {
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

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
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
// record; 0 with *why when they do not lead there inside the file.
uint64_t DumpLength(InputFile* file, uint64_t start, std::string* why) {
  std::string bytes;
  if (!file->Read(start, sizeof(format::FileHeader), &bytes) ||
      bytes.size() < sizeof(format::FileHeader)) {
    *why = "truncated file header";
    return 0;
  }
  format::FileHeader header;
  memcpy(&header, bytes.data(), sizeof(header));
  if (header.version != format::kVersion) {
    *why = absl::StrCat("unsupported dump version ", header.version, " (this leakscope reads ",
                        format::kVersion, ")");
    return 0;
  }
  if (header.header_bytes < sizeof(header)) {
    *why = absl::StrCat("header_bytes ", header.header_bytes, " is smaller than the header");
    return 0;
  }
  uint64_t pos = start + header.header_bytes;
  for (uint64_t records = 0;; ++records) {
    format::RecordHeader record;
    if (pos > file->size() || file->size() - pos < sizeof(record) ||
        !file->Read(pos, sizeof(record), &bytes)) {
      *why = absl::StrCat("truncated: no end record after ", records, " records");
      return 0;
    }
    memcpy(&record, bytes.data(), sizeof(record));
    pos += sizeof(record);
    if (record.payload_bytes > file->size() - pos) {
      *why = absl::StrCat("record ", records, " at offset ", pos - sizeof(record) - start,
                          ": payload of ", record.payload_bytes, " bytes runs past the input");
      return 0;
    }
    pos += record.payload_bytes;
    if (record.type == static_cast<uint32_t>(format::RecordType::kEnd)) return pos - start;
  }
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
  std::string chunk;
  uint64_t pos = 0;
  while (pos < file.size()) {
    if (!file.Read(pos, kChunk, &chunk)) {
      errors->push_back(absl::StrCat(name, ": read failed at offset ", pos, ": ", strerror(errno)));
      return false;
    }
    size_t magic = std::string_view(chunk).find(kMagic);
    std::string_view before = std::string_view(chunk).substr(0, magic);
    UpdateContainer(before, &container);
    // The chunk starts at a line start only at the file's start; overlapping chunks see every
    // header line whole at least once.
    UpdateLogFile(before, pos == 0, &log_file);
    if (magic == std::string_view::npos) {
      if (pos + chunk.size() >= file.size()) break;
      pos += chunk.size() > kOverlap ? chunk.size() - kOverlap : chunk.size();
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
    std::string why;
    uint64_t length = DumpLength(&file, start, &why);
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

}  // namespace leakscope

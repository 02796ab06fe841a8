#include "dump_peek.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace leakscope {
namespace {

bool ReadAt(int fd, uint64_t offset, void* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        pread(fd, static_cast<char*>(out) + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool PeekProcess(const std::string& path, ProcessInfo* process, std::string* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = absl::StrCat(path, ": ", strerror(errno));
    return false;
  }
  auto fail = [&](const std::string& what) {
    close(fd);
    *error = absl::StrCat(path, ": ", what);
    return false;
  };
  off_t size = lseek(fd, 0, SEEK_END);
  if (size < 0) return fail(strerror(errno));
  format::FileHeader header;
  if (static_cast<uint64_t>(size) < sizeof(header) || !ReadAt(fd, 0, &header, sizeof(header))) {
    return fail("truncated file header (not a leakscope dump)");
  }
  if (memcmp(header.magic, format::kMagic, sizeof(header.magic)) != 0) {
    return fail("not a leakscope dump (bad magic)");
  }
  if (header.version != format::kVersion) {
    return fail(absl::StrCat("unsupported dump version ", header.version, " (this leakscope reads ",
                             format::kVersion, ")"));
  }
  uint64_t offset = header.header_bytes;
  if (offset < sizeof(header)) return fail("bad header size");
  // Process is the first record by convention; a few others before it are tolerated.
  for (int records = 0; records < 64; ++records) {
    format::RecordHeader record;
    if (offset + sizeof(record) > static_cast<uint64_t>(size) ||
        !ReadAt(fd, offset, &record, sizeof(record))) {
      return fail(absl::StrCat("no process record (truncated at byte ", offset, ")"));
    }
    offset += sizeof(record);
    if (record.payload_bytes > static_cast<uint64_t>(size) - offset) {
      return fail(absl::StrCat("record at byte ", offset - sizeof(record), " runs past the end"));
    }
    if (record.type == static_cast<uint32_t>(format::RecordType::kProcess)) {
      if (record.payload_bytes < sizeof(format::ProcessFixed)) {
        return fail(absl::StrCat("short process record at byte ", offset - sizeof(record)));
      }
      if (!ReadAt(fd, offset, &process->fixed, sizeof(process->fixed))) {
        return fail("read error");
      }
      close(fd);
      return true;
    }
    if (record.type == static_cast<uint32_t>(format::RecordType::kEnd)) break;
    offset += record.payload_bytes;
  }
  return fail("no process record");
}

}  // namespace leakscope

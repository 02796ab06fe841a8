// SPDX-License-Identifier: Apache-2.0
#include "dump_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulk_memory.h"

namespace leakscope::recorder {
namespace {

// Large writes: each is preceded by one fstat, and fewer writes mean fewer windows between a
// check and the write it guards. 1 MiB is a few of them per dump of a busy JVM.
constexpr size_t kBufferBytes = 1 << 20;

struct FileId {
  dev_t dev;
  ino_t ino;
};

bool Same(const struct stat& st, FileId id) { return st.st_dev == id.dev && st.st_ino == id.ino; }

// Whether `fd` still names our file; *st receives what it names.
bool StillOurs(int fd, FileId id, struct stat* st) { return fstat(fd, st) == 0 && Same(*st, id); }
bool StillOurs(int fd, FileId id) {
  struct stat st;
  return StillOurs(fd, id, &st);
}

// A buffered sink whose every write(2) is preceded by the identity check, and which counts what
// reached the file: short writes are resumed, a write that takes nothing is a full disk.
class CheckedFileSink final : public ByteSink {
 public:
  CheckedFileSink(int fd, FileId id)
      : fd_(fd), id_(id), buffer_(static_cast<char*>(AllocateBulk(kBufferBytes))) {
    if (buffer_ == nullptr) Fail(ENOMEM);
  }
  ~CheckedFileSink() override { FreeBulk(buffer_, kBufferBytes); }
  CheckedFileSink(const CheckedFileSink&) = delete;
  CheckedFileSink& operator=(const CheckedFileSink&) = delete;

  bool Write(const void* data, size_t size) override {
    const char* bytes = static_cast<const char*>(data);
    while (size > 0 && error_ == 0) {
      if (used_ == kBufferBytes && !Flush()) break;
      size_t n = size < kBufferBytes - used_ ? size : kBufferBytes - used_;
      __builtin_memcpy(buffer_ + used_, bytes, n);
      used_ += n;
      bytes += n;
      size -= n;
    }
    return error_ == 0;
  }

  bool Flush() {
    size_t done = 0;
    while (done < used_ && error_ == 0) {
      if (!StillOurs(fd_, id_)) {
        Fail(EBADF);
        break;
      }
      ssize_t n = ::write(fd_, buffer_ + done, used_ - done);
      if (n < 0) {
        if (errno != EINTR) Fail(errno);
        continue;
      }
      if (n == 0) Fail(ENOSPC);  // nothing taken and no error: retrying could spin forever
      done += static_cast<size_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
    used_ = 0;
    return error_ == 0;
  }

  int error() const { return error_; }
  uint64_t written() const { return written_; }

 private:
  void Fail(int error) {
    if (error_ == 0) error_ = error;
  }

  int fd_;
  FileId id_;
  char* buffer_;
  size_t used_ = 0;
  uint64_t written_ = 0;
  int error_ = 0;
};

DumpFileResult Failed(const char* step, int error) {
  DumpFileResult r;
  r.step = step;
  r.error = error;
  return r;
}

// Removes the temporary only if the name still holds our file.
void UnlinkIfOurs(const char* path, FileId id) {
  struct stat st;
  if (lstat(path, &st) == 0 && Same(st, id)) unlink(path);
}

// After the rename, the directory entry itself: without this a machine crash can lose the new
// name even though the data is on disk. Best effort (the dump is published either way), and with
// the same care as the file: the descriptor is closed only while it still names the directory.
void SyncDirectoryOf(const char* path) {
  const char* slash = strrchr(path, '/');
  if (slash == nullptr || static_cast<size_t>(slash - path) >= PATH_MAX) return;
  char dir[PATH_MAX];
  size_t length = slash == path ? 1 : static_cast<size_t>(slash - path);
  __builtin_memcpy(dir, path, length);
  dir[length] = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  struct stat by_path;
  if (lstat(dir, &by_path) != 0) return;  // cannot tell whether the number is ours: leave it
  FileId id{by_path.st_dev, by_path.st_ino};
  if (!StillOurs(fd, id)) return;
  fsync(fd);
  if (StillOurs(fd, id)) close(fd);
}

}  // namespace

DumpFileResult WriteDumpFile(const char* temp_path, const char* final_path,
                             bool (*encode)(ByteSink* sink, void* arg), void* arg) {
  // A temporary left by an earlier image with our pid (exec keeps it) would make O_EXCL fail.
  unlink(temp_path);
  int fd = open(temp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("create", errno);
  // The number open() returned may already have been closed and reused by the program: the file
  // we created is the one at the path (our directory, a name only we use), so the number is ours
  // only if it names that file. If not, the number is not ours to close either.
  struct stat by_path;
  // Without the name we cannot tell whether the number is ours: leave it open rather than risk
  // closing the program's file (on the private table the thread's exit closes it).
  if (lstat(temp_path, &by_path) != 0) return Failed("create", errno);
  FileId id{by_path.st_dev, by_path.st_ino};
  if (!StillOurs(fd, id)) {
    UnlinkIfOurs(temp_path, id);
    return Failed("create", EBADF);
  }
  fchmod(fd, 0600);  // open's mode is masked by the umask

  DumpFileResult result;
  uint64_t written;
  {
    CheckedFileSink sink(fd, id);
    bool encoded = encode(&sink, arg) && sink.Flush();
    written = sink.written();
    if (!encoded) result = Failed("write", sink.error() != 0 ? sink.error() : EIO);
  }
  // Complete: the file holds exactly what the encoder produced, and that is not nothing.
  struct stat st;
  bool ours = StillOurs(fd, id, &st);
  if (result.step == nullptr) {
    if (!ours) {
      result = Failed("write", EBADF);
    } else if (written == 0 || static_cast<uint64_t>(st.st_size) != written) {
      result = Failed("write", EIO);
    }
  }
  // On disk before the name is published: a machine crash after the rename must not leave an
  // empty or partial .dump. EINVAL: a file system that cannot sync (nothing to wait for).
  if (ours && result.step == nullptr && fsync(fd) != 0 && errno != EINVAL) {
    result = Failed("fsync", errno);
  }
  // Closing a number that is now the program's would close the program's file: when it is not
  // ours any more, ours was already closed by whoever reused it.
  if (ours && close(fd) != 0 && result.step == nullptr) result = Failed("close", errno);
  if (result.step == nullptr) {
    // Publish by name, after checking the name still holds our complete file.
    if (lstat(temp_path, &st) != 0) {
      result = Failed("rename", errno);
    } else if (!Same(st, id) || static_cast<uint64_t>(st.st_size) != written) {
      result = Failed("rename", EIO);
    } else if (rename(temp_path, final_path) != 0) {
      result = Failed("rename", errno);
    }
  }
  if (result.step != nullptr) {
    UnlinkIfOurs(temp_path, id);
    return result;
  }
  SyncDirectoryOf(final_path);
  result.published = true;
  result.bytes = written;
  return result;
}

}  // namespace leakscope::recorder

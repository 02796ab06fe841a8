// SPDX-License-Identifier: Apache-2.0
#include "output/atomic_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace leakscope::analyzer {
namespace {

bool Fail(const std::string& shown, std::string* error) {
  *error = absl::StrCat(shown, ": ", strerror(errno));
  return false;
}

uint64_t RandomBits() {
  uint64_t bits = 0;
  if (getrandom(&bits, sizeof(bits), GRND_NONBLOCK) != sizeof(bits)) {
    // No entropy yet (early boot): still unique per attempt, and O_EXCL keeps it safe.
    static uint64_t counter = 0;
    bits = (static_cast<uint64_t>(getpid()) << 32) ^ ++counter ^ reinterpret_cast<uintptr_t>(&bits);
  }
  return bits;
}

bool WriteAll(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) {
      errno = EIO;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool WriteFileAtomicallyAt(int dir_fd, const std::string& name, std::string_view bytes, mode_t mode,
                           const std::string& shown, std::string* error) {
  // A device or a pipe at the name (`-o /dev/null`, a FIFO a script reads) is written to, not
  // replaced: renaming over /dev/null as root would leave a regular file there for every program
  // on the machine. It is opened without O_CREAT or O_TRUNC, and checked again once open.
  struct stat st;
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
    int fd = openat(dir_fd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Fail(shown, error);
    bool ok = fstat(fd, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode));
    if (!ok) errno = EINVAL;
    ok = ok && WriteAll(fd, bytes);
    if (!ok) Fail(shown, error);
    if (close(fd) != 0 && ok) ok = Fail(shown, error);
    return ok;
  }
  std::string tmp;
  int fd = -1;
  // EEXIST means someone holds that name (a planted file or link, or a very unlikely clash):
  // pick another rather than touch it.
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = absl::StrFormat("%s.tmp.%d.%016x", name, getpid(), RandomBits());
    fd = openat(dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) return Fail(shown, error);
  }
  if (fd < 0) return Fail(shown, error);
  bool ok = WriteAll(fd, bytes) && fsync(fd) == 0;
  if (!ok) Fail(shown, error);
  if (close(fd) != 0 && ok) ok = Fail(shown, error);
  if (ok && renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) ok = Fail(shown, error);
  if (!ok) unlinkat(dir_fd, tmp.c_str(), 0);
  return ok;
}

bool WriteFileAtomically(const std::string& path, std::string_view bytes, mode_t mode,
                         std::string* error) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    errno = EISDIR;
    return Fail(path, error);
  }
  int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Fail(path, error);
  bool ok = WriteFileAtomicallyAt(dir_fd, name, bytes, mode, path, error);
  close(dir_fd);
  return ok;
}

}  // namespace leakscope::analyzer

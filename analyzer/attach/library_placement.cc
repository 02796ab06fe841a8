// SPDX-License-Identifier: Apache-2.0
#include "attach/library_placement.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dump_file_names.h"

namespace leakscope::analyzer::attach {
namespace {

bool ReadAll(int fd, std::string* out) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = pread(fd, out->data() + done, out->size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Whether `path` is a regular file of `uid` holding exactly `content`.
bool SameCopy(const std::string& path, uid_t uid, const std::string& content) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  std::string existing;
  bool same = fstat(fd, &st) == 0 && st.st_uid == uid &&
              static_cast<size_t>(st.st_size) == content.size() && ReadAll(fd, &existing) &&
              existing == content;
  close(fd);
  return same;
}

// The directory for the copy, as the JVM sees it, made if missing and checked to be its user's
// alone (no symlink, owner, not writable by others), like the recorder's dump directories.
bool PrepareCopyDirectory(const TargetProcess& target, const std::string& dir, std::string* error) {
  std::string here = target.Reach(dir);
  bool made = mkdir(here.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) {
    *error = absl::StrCat("cannot create ", dir, " in the JVM's filesystem: ", strerror(errno));
    return false;
  }
  struct stat st;
  if (lstat(here.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != target.status.uid ||
      (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    *error =
        absl::StrCat(dir, " in the JVM's filesystem is not a directory of uid ", target.status.uid,
                     " alone; remove it or pass --lib with a path the JVM "
                     "can read");
    return false;
  }
  if (made) chmod(here.c_str(), 0700);  // mkdir's mode was masked by the umask
  return true;
}

}  // namespace

std::string PlaceLibrary(int library_fd, const std::string& library_path,
                         const TargetProcess& target, std::string* error) {
  struct stat ours;
  if (fstat(library_fd, &ours) != 0) {
    *error = absl::StrCat("cannot inspect ", library_path, ": ", strerror(errno));
    return "";
  }
  // The same file where the JVM looks, and readable by its user (we are that user now).
  int theirs_fd = open(target.Reach(library_path).c_str(), O_RDONLY | O_CLOEXEC);
  if (theirs_fd >= 0) {
    struct stat theirs;
    bool same = fstat(theirs_fd, &theirs) == 0 && theirs.st_dev == ours.st_dev &&
                theirs.st_ino == ours.st_ino;
    close(theirs_fd);
    if (same) return library_path;
  }

  std::string content;
  if (!ReadAll(library_fd, &content)) {
    *error = absl::StrCat("cannot read ", library_path);
    return "";
  }
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(content.data()), static_cast<uInt>(content.size())));
  const std::string dir =
      absl::StrCat("/tmp/", dump_files::PrivateDirectoryName(target.status.uid));
  const std::string path = absl::StrFormat("%s/libleakscope-%08x-%zu.so", dir, crc, content.size());
  if (!PrepareCopyDirectory(target, dir, error)) return "";
  if (SameCopy(target.Reach(path), target.status.uid, content)) return path;

  const std::string temp = absl::StrFormat("%s/.libleakscope-%08x.%d.tmp", dir, crc, getpid());
  const std::string temp_here = target.Reach(temp);
  int fd = open(temp_here.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0500);
  if (fd < 0) {
    *error = absl::StrCat("cannot create ", temp, " in the JVM's filesystem: ", strerror(errno));
    return "";
  }
  bool written = WriteAll(fd, content) && fsync(fd) == 0;
  written = close(fd) == 0 && written;
  if (!written || rename(temp_here.c_str(), target.Reach(path).c_str()) != 0) {
    *error = absl::StrCat("cannot copy the recorder library to ", path,
                          " in the JVM's filesystem: ", strerror(errno));
    unlink(temp_here.c_str());
    return "";
  }
  return path;
}

}  // namespace leakscope::analyzer::attach

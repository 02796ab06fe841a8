// SPDX-License-Identifier: Apache-2.0
#include "control/status_lookup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "dump_file_names.h"

namespace leakscope::analyzer {
namespace {

// The runtime directories to try, as the process sees them.
std::vector<std::string> RuntimeDirectories(const TargetProcess& target) {
  std::vector<std::string> parents;
  if (!target.tmpdir.empty()) parents.push_back(target.tmpdir);
  if (std::find(parents.begin(), parents.end(), "/tmp") == parents.end()) {
    parents.push_back("/tmp");
  }
  const std::string name = dump_files::PrivateDirectoryName(target.uid);
  std::vector<std::string> dirs;
  for (const std::string& parent : parents) {
    dirs.push_back(parent + "/" + name);
    // The fallbacks a recorder makes when leakscope-<uid> is not usable (preload/dump_dir.h).
    std::vector<std::string> fallbacks;
    if (DIR* dir = opendir(target.Reach(parent).c_str())) {
      while (dirent* entry = readdir(dir)) {
        std::string_view n = entry->d_name;
        if (n.size() == name.size() + 7 && n.starts_with(name + "-")) {
          fallbacks.push_back(parent + "/" + std::string(n));
        }
      }
      closedir(dir);
    }
    std::sort(fallbacks.begin(), fallbacks.end());
    dirs.insert(dirs.end(), fallbacks.begin(), fallbacks.end());
  }
  return dirs;
}

enum class ReadResult { kOk, kMissing, kPermission, kBad };

ReadResult ReadStatus(const TargetProcess& target, const std::string& path,
                      status_file::Status* status, std::string* why) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) return ReadResult::kMissing;
    *why = absl::StrCat(path, ": ", strerror(error));
    return error == EACCES || error == EPERM ? ReadResult::kPermission : ReadResult::kBad;
  }
  struct stat st;
  ReadResult result = ReadResult::kBad;
  if (fstat(fd, &st) != 0) {
    *why = absl::StrCat(path, ": ", strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    *why = absl::StrCat(path, " is not a regular file");
  } else if (st.st_uid != target.uid && st.st_uid != 0) {
    *why = absl::StrCat(path, " is owned by uid ", st.st_uid, ", not by the process' user (uid ",
                        target.uid, ")");
  } else if (static_cast<uint64_t>(st.st_size) >= status_file::kMaxBytes) {
    *why = absl::StrCat(path, " is too large for a status file (", st.st_size, " bytes)");
  } else {
    std::string text(static_cast<size_t>(st.st_size), '\0');
    ssize_t n = pread(fd, text.data(), text.size(), 0);
    std::string parse_error;
    if (n < 0) {
      *why = absl::StrCat(path, ": ", strerror(errno));
    } else if (text.resize(static_cast<size_t>(n)),
               !status_file::Parse(text, status, &parse_error)) {
      *why = absl::StrCat(path, ": ", parse_error);
    } else if (status->pid != target.ns_pid) {
      *why = absl::StrCat(path, " names pid ", status->pid, ", not ", target.ns_pid);
    } else {
      result = ReadResult::kOk;
    }
  }
  close(fd);
  return result;
}

}  // namespace

StatusLookup FindStatusFile(const TargetProcess& target, StatusFound* found, std::string* error) {
  char name[64];
  dump_files::FormatStatusName(name, sizeof(name), target.ns_pid);
  StatusLookup outcome = StatusLookup::kNotFound;
  for (const std::string& dir : RuntimeDirectories(target)) {
    std::string path = target.Reach(dir + "/" + name);
    found->looked.push_back(path);
    std::string why;
    switch (ReadStatus(target, path, &found->status, &why)) {
      case ReadResult::kOk:
        found->path = path;
        return StatusLookup::kFound;
      case ReadResult::kMissing:
        break;
      case ReadResult::kPermission:
        // Another candidate may still be readable; remember the first refusal.
        if (outcome == StatusLookup::kNotFound) *error = why;
        if (outcome != StatusLookup::kBad) outcome = StatusLookup::kPermission;
        break;
      case ReadResult::kBad:
        if (outcome == StatusLookup::kNotFound) *error = why;
        if (outcome == StatusLookup::kNotFound) outcome = StatusLookup::kBad;
        break;
    }
  }
  return outcome;
}

}  // namespace leakscope::analyzer

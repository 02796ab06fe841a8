// SPDX-License-Identifier: Apache-2.0
#include "control/target_process.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace leakscope::analyzer {
namespace {

// The whole of a small /proc file; false with errno set when it cannot be read.
bool ReadProcFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[4096];
  out->clear();
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      errno = error;
      return false;
    }
    if (n == 0) break;
    out->append(buffer, static_cast<size_t>(n));
    if (out->size() > (1u << 20)) break;  // an environment is not this large; enough of it
  }
  close(fd);
  return true;
}

// The fields after "Key:" on its line of /proc/PID/status.
std::vector<std::string> StatusFields(const std::string& status, const std::string& key) {
  std::vector<std::string> fields;
  std::istringstream lines(status);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, key.size() + 1, key + ":") != 0) continue;
    std::istringstream words(line.substr(key.size() + 1));
    std::string word;
    while (words >> word) fields.push_back(word);
    break;
  }
  return fields;
}

bool SameFile(const char* a, const char* b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return true;  // cannot tell: assume ours
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

}  // namespace

TargetError ReadTargetProcess(int pid, TargetProcess* out, std::string* error) {
  const std::string proc = absl::StrCat("/proc/", pid);
  std::string status;
  if (!ReadProcFile(proc + "/status", &status)) {
    if (errno == ENOENT || errno == ESRCH) {
      *error = absl::StrCat("no process with pid ", pid);
      return TargetError::kNoProcess;
    }
    *error = absl::StrCat("cannot read ", proc, "/status: ", strerror(errno));
    return errno == EACCES ? TargetError::kPermission : TargetError::kOther;
  }
  TargetProcess target;
  target.pid = pid;
  std::vector<std::string> uids = StatusFields(status, "Uid");
  std::vector<std::string> gids = StatusFields(status, "Gid");
  if (uids.size() < 2 || gids.size() < 2) {
    *error = absl::StrCat("cannot read the user of process ", pid, " from ", proc, "/status");
    return TargetError::kOther;
  }
  // The effective ids: the recorder makes its directories and files as geteuid().
  target.uid = static_cast<unsigned>(strtoul(uids[1].c_str(), nullptr, 10));
  target.gid = static_cast<unsigned>(strtoul(gids[1].c_str(), nullptr, 10));
  std::vector<std::string> nspids = StatusFields(status, "NSpid");
  target.ns_pid = nspids.empty() ? pid : atoi(nspids.back().c_str());
  if (target.ns_pid <= 0) target.ns_pid = pid;
  if (!SameFile((proc + "/root/").c_str(), "/")) target.root = proc + "/root";
  std::string environ;
  if (ReadProcFile(proc + "/environ", &environ)) {
    target.environ_read = true;
    for (size_t at = 0; at < environ.size();) {
      size_t end = environ.find('\0', at);
      if (end == std::string::npos) end = environ.size();
      std::string_view entry(environ.data() + at, end - at);
      if (entry.starts_with("TMPDIR=") && entry.size() > 7 && entry[7] == '/') {
        target.tmpdir = std::string(entry.substr(7));
      }
      at = end + 1;
    }
  }
  *out = std::move(target);
  return TargetError::kNone;
}

}  // namespace leakscope::analyzer

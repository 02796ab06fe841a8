// SPDX-License-Identifier: Apache-2.0
#include "stale_temps.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump_file_names.h"

namespace leakscope::recorder {
namespace {

constexpr int64_t kOwnPidAgeSeconds = 60;
constexpr int64_t kDeadPidAgeSeconds = 10 * 60;
constexpr int64_t kAnyPidAgeSeconds = 24 * 3600;

// The pid of ".leakscope.<pid>.<seq>.dump.tmp", or 0 when the name is not of that shape.
pid_t TempOwnerPid(const char* name) {
  int pid;
  uint64_t seq;
  return dump_files::ParseTempName(name, &pid, &seq) ? static_cast<pid_t>(pid) : 0;
}

bool Stale(pid_t pid, int64_t age_seconds) {
  if (pid == getpid()) return age_seconds >= kOwnPidAgeSeconds;
  if (age_seconds >= kAnyPidAgeSeconds) return true;
  return age_seconds >= kDeadPidAgeSeconds && kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

uint64_t RemoveStaleTemps(const ReentrancyGuard&, const char* path) {
  DIR* dir = opendir(path);
  if (dir == nullptr) return 0;
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const uid_t uid = geteuid();
  uint64_t removed = 0;
  while (dirent* entry = readdir(dir)) {
    pid_t pid = TempOwnerPid(entry->d_name);
    if (pid == 0) continue;
    // By path with lstat rather than fstatat on the directory's descriptor: the same check
    // (the directory is ours alone), and lstat is among the calls the recorder already makes
    // (fstatat would be one more versioned glibc symbol to keep portable).
    char file[PATH_MAX];
    if (snprintf(file, sizeof(file), "%s/%s", path, entry->d_name) >=
        static_cast<int>(sizeof(file))) {
      continue;
    }
    struct stat st;
    if (lstat(file, &st) != 0) continue;
    if (!S_ISREG(st.st_mode) || st.st_uid != uid) continue;
    int64_t age = static_cast<int64_t>(now.tv_sec) - static_cast<int64_t>(st.st_mtime);
    if (Stale(pid, age) && unlink(file) == 0) ++removed;
  }
  closedir(dir);
  return removed;
}

}  // namespace leakscope::recorder

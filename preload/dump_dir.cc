#include "dump_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raw_log.h"

namespace leakscope {
namespace {

// A directory we can write to, creating it (0700) if it is missing. Explains failures.
bool UsableDirectory(const std::string& dir, const char* source) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    RawLog(LogLevel::kWarn, "cannot create %s directory %s: %s", source, dir.c_str(),
           strerror(errno));
    return false;
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    RawLog(LogLevel::kWarn, "%s %s is not a directory", source, dir.c_str());
    return false;
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    RawLog(LogLevel::kWarn, "cannot write to %s directory %s: %s", source, dir.c_str(),
           strerror(errno));
    return false;
  }
  return true;
}

// The shared /tmp default must be ours alone: otherwise another user could plant a symlink or
// read our dumps.
bool SafePrivateDirectory(const std::string& dir) {
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    RawLog(LogLevel::kWarn, "cannot create %s: %s", dir.c_str(), strerror(errno));
    return false;
  }
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    RawLog(LogLevel::kWarn, "cannot inspect %s: %s", dir.c_str(), strerror(errno));
    return false;
  }
  if (!S_ISDIR(st.st_mode)) {
    RawLog(LogLevel::kWarn, "%s is not a directory (a symlink?); refusing to use it", dir.c_str());
    return false;
  }
  if (st.st_uid != geteuid()) {
    RawLog(LogLevel::kWarn, "%s is owned by uid %u, not us; refusing to use it", dir.c_str(),
           static_cast<unsigned>(st.st_uid));
    return false;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    RawLog(LogLevel::kWarn, "%s is writable by others; refusing to use it", dir.c_str());
    return false;
  }
  return true;
}

}  // namespace

std::string DefaultDumpDirectory() {
  const char* tmp = getenv("TMPDIR");
  std::string base = (tmp != nullptr && tmp[0] == '/') ? tmp : "/tmp";
  return base + "/leakscope-" + std::to_string(geteuid());
}

std::string ChooseDumpDirectory(const ReentrancyGuard&, const char* configured_dir) {
  bool chosen_failed = false;
  if (configured_dir != nullptr) {
    if (UsableDirectory(configured_dir, "LEAKSCOPE_DIR")) return configured_dir;
    chosen_failed = true;
  } else if (const char* log_dirs = getenv("LOG_DIRS"); log_dirs != nullptr && log_dirs[0]) {
    std::string first(log_dirs, strcspn(log_dirs, ","));
    if (!first.empty() && UsableDirectory(first, "LOG_DIRS")) return first;
    chosen_failed = true;
  }
  std::string fallback = DefaultDumpDirectory();
  if (SafePrivateDirectory(fallback)) {
    if (chosen_failed) {
      RawLog(LogLevel::kWarn, "writing dumps to %s instead", fallback.c_str());
    }
    return fallback;
  }
  RawLog(LogLevel::kWarn, "no usable dump directory; no dumps will be written");
  return "";
}

}  // namespace leakscope

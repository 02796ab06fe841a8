// SPDX-License-Identifier: Apache-2.0
#include "dump_dir.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/raw_log.h"
#include "core/warn_limiter.h"
#include "dump_file_names.h"

namespace leakscope::recorder {
namespace {

enum class DirState { kOurs, kMissing, kNotOurs };

// Whether `dir` is a directory of ours alone; when not, why (for messages). lstat, not stat: a
// symlink at the name is refused, whoever owns it, since its target can change under us.
DirState Inspect(const std::string& dir, char* why, size_t why_size) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    int error = errno;
    snprintf(why, why_size, "cannot inspect it: %s", strerror(error));
    return error == ENOENT ? DirState::kMissing : DirState::kNotOurs;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(why, why_size, "it is not a directory (a symlink?)");
    return DirState::kNotOurs;
  }
  if (st.st_uid != geteuid()) {
    snprintf(why, why_size, "it is owned by uid %u, not us", static_cast<unsigned>(st.st_uid));
    return DirState::kNotOurs;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    snprintf(why, why_size, "it is writable by others");
    return DirState::kNotOurs;
  }
  return DirState::kOurs;
}

// Creates `dir` 0700 if it is missing, then checks that it is ours alone.
bool MakePrivate(const std::string& dir, char* why, size_t why_size) {
  bool made = mkdir(dir.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) {
    snprintf(why, why_size, "cannot create it: %s", strerror(errno));
    return false;
  }
  if (Inspect(dir, why, why_size) != DirState::kOurs) return false;
  // A umask with owner bits (0277) would leave a directory we cannot write to. Only one we just
  // made and checked is changed: a user's own directory keeps the mode the user gave it.
  if (made) chmod(dir.c_str(), 0700);
  return true;
}

// A directory under `parent` that no one else can have made: one of ours that an earlier
// process left (only our uid can own a directory of ours, and Inspect checks the rest), else a
// fresh one from mkdtemp, which picks a name that did not exist and creates it 0700 in one step.
// Reusing keeps the dumps of every process of a run together while the usual name is taken,
// instead of one new directory per process. "" on failure.
std::string MakeFreshPrivate(const std::string& parent) {
  const std::string prefix = dump_files::PrivateDirectoryName(geteuid()) + "-";
  if (DIR* dir = opendir(parent.c_str())) {
    std::string found;
    char why[160];
    while (dirent* entry = readdir(dir)) {
      if (strncmp(entry->d_name, prefix.c_str(), prefix.size()) != 0 ||
          strlen(entry->d_name) != prefix.size() + 6) {
        continue;
      }
      std::string candidate = parent + "/" + entry->d_name;
      if (Inspect(candidate, why, sizeof(why)) == DirState::kOurs) {
        found = candidate;
        break;
      }
    }
    closedir(dir);
    if (!found.empty()) return found;
  }
  std::string pattern = parent + "/" + prefix + "XXXXXX";
  if (mkdtemp(&pattern[0]) == nullptr) return "";
  chmod(pattern.c_str(), 0700);  // mkdtemp's 0700 is masked by the umask, as mkdir's is
  return pattern;
}

std::string PrivateSubdirectory(const std::string& parent) {
  return parent + "/" + dump_files::PrivateDirectoryName(geteuid());
}

// `path` as an absolute path, resolved once (symlinks included): the program may chdir later,
// and what a symlink points to may change. "" when it cannot be resolved.
std::string Resolve(const char* path) {
  char resolved[PATH_MAX];
  if (realpath(path, resolved) == nullptr) return "";
  return resolved;
}

// A private directory inside `parent`: <parent>/leakscope-<uid>, else a mkdtemp one beside it
// (with one warning saying where). `source` names where parent came from, for messages.
DumpDirectory PrivateInside(const std::string& parent, const char* source) {
  DumpDirectory dir;
  dir.parent = parent;
  std::string wanted = PrivateSubdirectory(parent);
  char why[160];
  if (MakePrivate(wanted, why, sizeof(why))) {
    dir.path = wanted;
    return dir;
  }
  std::string fresh = MakeFreshPrivate(parent);
  if (fresh.empty()) {
    RawLog(LogLevel::kWarn, "cannot use %s directory %s (%s) nor make a private one in %s: %s",
           source, wanted.c_str(), why, parent.c_str(), strerror(errno));
    return dir;
  }
  RawLog(LogLevel::kWarn, "refusing %s directory %s: %s; writing dumps to %s instead", source,
         wanted.c_str(), why, fresh.c_str());
  dir.path = fresh;
  dir.fell_back = true;
  return dir;
}

// LEAKSCOPE_DIR or a LOG_DIRS entry: created if missing, resolved, used as is if it is ours
// alone, else our private subdirectory in it.
DumpDirectory Configured(const char* configured, const char* source) {
  bool made = mkdir(configured, 0700) == 0;
  if (!made && errno != EEXIST) {
    RawLog(LogLevel::kWarn, "cannot create %s directory %s: %s", source, configured,
           strerror(errno));
    return {};
  }
  // As in MakePrivate: a umask with owner bits must not leave us a directory we cannot use.
  if (made) chmod(configured, 0700);
  std::string resolved = Resolve(configured);
  struct stat st;
  if (resolved.empty() || stat(resolved.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    RawLog(LogLevel::kWarn, "%s %s is not a directory", source, configured);
    return {};
  }
  char why[160];
  if (Inspect(resolved, why, sizeof(why)) == DirState::kOurs) {
    if (access(resolved.c_str(), W_OK | X_OK) != 0) {
      RawLog(LogLevel::kWarn, "cannot write to %s directory %s: %s", source, configured,
             strerror(errno));
      return {};
    }
    DumpDirectory dir;
    dir.path = resolved;
    return dir;
  }
  // Shared (a world-writable directory, another user's log directory): others could plant files
  // at our names there, or read our dumps.
  return PrivateInside(resolved, source);
}

}  // namespace

DumpDirectory ChoosePrivateDirectory(const ReentrancyGuard&, const std::string& parent,
                                     const char* purpose) {
  return PrivateInside(parent, purpose);
}

std::string DefaultDumpDirectory() { return dump_files::DefaultDumpDirectory(geteuid()); }

DumpDirectory ChooseDumpDirectory(const ReentrancyGuard&, const char* configured_dir) {
  bool chosen_failed = false;
  if (configured_dir != nullptr) {
    DumpDirectory dir = Configured(configured_dir, "LEAKSCOPE_DIR");
    if (!dir.path.empty()) return dir;
    chosen_failed = true;
  } else if (const char* log_dirs = getenv("LOG_DIRS"); log_dirs != nullptr && log_dirs[0]) {
    std::string first(log_dirs, strcspn(log_dirs, ","));
    if (!first.empty()) {
      DumpDirectory dir = Configured(first.c_str(), "LOG_DIRS");
      if (!dir.path.empty()) return dir;
    }
    chosen_failed = true;
  }
  std::string fallback = DefaultDumpDirectory();
  DumpDirectory dir = PrivateInside(fallback.substr(0, fallback.rfind('/')), "default");
  if (dir.path.empty()) {
    RawLog(LogLevel::kWarn, "no usable dump directory; no dumps will be written");
  } else if (chosen_failed && !dir.fell_back) {
    RawLog(LogLevel::kWarn, "writing dumps to %s instead", dir.path.c_str());
  }
  return dir;
}

bool PrepareDumpDirectory(const ReentrancyGuard&, DumpDirectory* dir) {
  if (dir->path.empty()) return false;
  char why[160];
  DirState state = Inspect(dir->path, why, sizeof(why));
  if (state == DirState::kOurs) return true;
  if (state == DirState::kMissing && MakePrivate(dir->path, why, sizeof(why))) {
    if (WarnAllowed(Problem::kDirectoryRecreated)) {
      RawLog(LogLevel::kWarn, "dump directory %s had disappeared; made it again",
             dir->path.c_str());
    }
    return true;
  }
  if (!dir->parent.empty()) {
    std::string fresh = MakeFreshPrivate(dir->parent);
    if (!fresh.empty()) {
      RawLog(LogLevel::kWarn, "refusing dump directory %s: %s; writing dumps to %s instead",
             dir->path.c_str(), why, fresh.c_str());
      dir->path = fresh;
      dir->fell_back = true;
      return true;
    }
  }
  if (WarnAllowed(Problem::kDirectoryUnusable)) {
    RawLog(LogLevel::kWarn, "cannot use dump directory %s: %s; no dumps until it is usable",
           dir->path.c_str(), why);
  }
  return false;
}

}  // namespace leakscope::recorder

// SPDX-License-Identifier: Apache-2.0
#include "attach/recorder_status.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "dump_file_names.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer::attach {
namespace {

constexpr size_t kMaxStatusBytes = 64 << 10;

}  // namespace

std::optional<RecorderStatus> ParseRecorderStatus(std::string_view text, pid_t pid) {
  RecorderStatus status;
  bool versioned = false, ours = false;
  for (absl::string_view line : absl::StrSplit(AV(text), '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    absl::string_view key = kv.first, value = kv.second;
    pid_t file_pid;
    if (key == "leakscope_status") versioned = value == "1";
    if (key == "pid") ours = absl::SimpleAtoi(value, &file_pid) && file_pid == pid;
    if (key == "dir") status.dir = std::string(value);
    if (key == "via") status.via = std::string(value);
  }
  if (!versioned || !ours) return std::nullopt;
  return status;
}

std::optional<RecorderStatus> ReadRecorderStatusFile(const std::string& path, uid_t uid,
                                                     pid_t pid) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st;
  std::string text;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_uid == uid || st.st_uid == 0) &&
      static_cast<size_t>(st.st_size) < kMaxStatusBytes) {
    text.resize(kMaxStatusBytes);
    ssize_t n = read(fd, text.data(), text.size());
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return ParseRecorderStatus(text, pid);
}

std::optional<RecorderStatus> FindRecorderStatus(const TargetProcess& target) {
  std::optional<std::string> tmpdir = target.Env("TMPDIR");
  std::string parent = tmpdir && tmpdir->starts_with("/") ? *tmpdir : "/tmp";
  while (parent.size() > 1 && parent.ends_with("/")) parent.pop_back();
  const std::string mine = dump_files::PrivateDirectoryName(target.status.uid);
  const std::string file = absl::StrCat("/leakscope.", target.status.nspid, ".status");
  std::vector<std::string> dirs = {absl::StrCat(parent, "/", mine)};
  // The recorder's fallbacks when leakscope-<uid> is not the user's alone: leakscope-<uid>-XXXXXX.
  if (DIR* dir = opendir(target.Reach(parent).c_str())) {
    while (dirent* entry = readdir(dir)) {
      std::string name = entry->d_name;
      if (name.size() == mine.size() + 7 && name.starts_with(mine + "-")) {
        dirs.push_back(parent + "/" + name);
      }
    }
    closedir(dir);
  }
  for (const std::string& dir : dirs) {
    if (auto status = ReadRecorderStatusFile(target.Reach(dir + file), target.status.uid,
                                             target.status.nspid)) {
      return status;
    }
  }
  return std::nullopt;
}

}  // namespace leakscope::analyzer::attach

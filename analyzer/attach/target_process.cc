// SPDX-License-Identifier: Apache-2.0
#include "attach/target_process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "output/absl_compat.h"

namespace leakscope::analyzer::attach {
namespace {

// /proc files report a size of 0: read until the end. Bounded, since environ and maps of a large
// process can be long but nothing we need is beyond a few MiB.
bool ReadProcFile(const std::string& path, std::string* out, int* error) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = errno;
    return false;
  }
  out->clear();
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errno;
      close(fd);
      return false;
    }
    if (n == 0 || out->size() > (64u << 20)) break;
    out->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

std::vector<std::string> SplitNul(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '\0', absl::SkipEmpty());
  return parts;
}

// The value of "Key:\t..." in a status text, without the key.
std::optional<absl::string_view> StatusField(std::string_view text, std::string_view key) {
  for (absl::string_view line : absl::StrSplit(AV(text), '\n')) {
    if (absl::ConsumePrefix(&line, AV(key)) && absl::ConsumePrefix(&line, ":")) {
      return absl::StripAsciiWhitespace(line);
    }
  }
  return std::nullopt;
}

std::vector<absl::string_view> Fields(absl::string_view value) {
  return absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
}

std::string PermissionDenied(pid_t pid, uid_t uid) {
  return absl::StrCat("permission denied: process ", pid, " runs as uid ", uid,
                      "; run leakscope attach as that user or as root");
}

}  // namespace

bool ParseProcStatus(std::string_view text, ProcStatus* out) {
  auto name = StatusField(text, "Name");
  auto uid = StatusField(text, "Uid");
  auto gid = StatusField(text, "Gid");
  auto pid = StatusField(text, "Pid");
  if (!name || !uid || !gid || !pid) return false;
  ProcStatus status;
  status.name = std::string(*name);
  if (auto state = StatusField(text, "State"); state && !state->empty()) status.state = (*state)[0];
  std::vector<absl::string_view> uids = Fields(*uid), gids = Fields(*gid);
  if (uids.size() < 2 || gids.size() < 2 || !absl::SimpleAtoi(uids[1], &status.uid) ||
      !absl::SimpleAtoi(gids[1], &status.gid) || !absl::SimpleAtoi(*pid, &status.nspid)) {
    return false;
  }
  // NSpid (kernel 4.1+) lists the pid in every namespace from ours down to the process's own.
  if (auto nspid = StatusField(text, "NSpid")) {
    std::vector<absl::string_view> pids = Fields(*nspid);
    if (pids.empty() || !absl::SimpleAtoi(pids.back(), &status.nspid)) return false;
  }
  if (auto groups = StatusField(text, "Groups")) {
    for (absl::string_view g : Fields(*groups)) {
      gid_t group;
      if (!absl::SimpleAtoi(g, &group)) return false;
      status.groups.push_back(group);
    }
  }
  if (auto caught = StatusField(text, "SigCgt")) {
    if (!absl::SimpleHexAtoi(*caught, &status.caught)) return false;
  }
  *out = std::move(status);
  return true;
}

std::vector<MappedFile> ParseMaps(std::string_view text) {
  std::vector<MappedFile> files;
  for (absl::string_view line : absl::StrSplit(AV(text), '\n', absl::SkipEmpty())) {
    // address perms offset dev inode path: the path is the rest, and may contain spaces.
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 5));
    if (parts.size() < 6) continue;
    absl::string_view path = absl::StripLeadingAsciiWhitespace(parts[5]);
    if (!absl::StartsWith(path, "/")) continue;  // [heap], [stack], anonymous
    MappedFile file;
    file.path = std::string(path);
    std::vector<absl::string_view> dev = absl::StrSplit(parts[3], ':');
    if (dev.size() != 2 || !absl::SimpleHexAtoi(dev[0], &file.dev_major) ||
        !absl::SimpleHexAtoi(dev[1], &file.dev_minor) || !absl::SimpleAtoi(parts[4], &file.inode)) {
      continue;
    }
    bool seen = false;
    for (const MappedFile& f : files) seen = seen || f.path == file.path;
    if (!seen) files.push_back(std::move(file));
  }
  return files;
}

bool IsHotSpotLibrary(std::string_view path) {
  return path.ends_with("/libjvm.so") || path.ends_with("/libjvm.so (deleted)");
}

bool IsOpenJ9Library(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  return name.starts_with("libj9vm") && name.find(".so") != std::string_view::npos;
}

bool IsRecorderLibrary(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  if (name.ends_with(" (deleted)")) name.remove_suffix(std::string_view(" (deleted)").size());
  return name.starts_with("libleakscope") && name.ends_with(".so");
}

std::optional<std::string> AttachDisabledBy(const std::vector<std::string>& cmdline,
                                            const std::vector<std::string>& environ) {
  std::optional<std::string> disabled_by;
  auto scan = [&disabled_by](const std::vector<absl::string_view>& args, std::string_view where) {
    for (absl::string_view arg : args) {
      if (arg == "-XX:+DisableAttachMechanism") disabled_by = std::string(where);
      if (arg == "-XX:-DisableAttachMechanism") disabled_by.reset();
    }
  };
  auto variable = [&](std::string_view name) {
    for (const std::string& entry : environ) {
      absl::string_view value = entry;
      if (absl::ConsumePrefix(&value, AV(name)) && absl::ConsumePrefix(&value, "=")) {
        scan(absl::StrSplit(value, absl::ByAnyChar(" \t\n"), absl::SkipEmpty()),
             absl::StrCat("its ", AV(name)));
      }
    }
  };
  variable("JAVA_TOOL_OPTIONS");
  variable("JDK_JAVA_OPTIONS");
  std::vector<absl::string_view> args(cmdline.begin(), cmdline.end());
  scan(args, "its command line");
  variable("_JAVA_OPTIONS");
  return disabled_by;
}

std::optional<std::string> TargetProcess::Env(std::string_view name) const {
  for (const std::string& entry : environ) {
    absl::string_view value = entry;
    if (absl::ConsumePrefix(&value, AV(name)) && absl::ConsumePrefix(&value, "=")) {
      return std::string(value);
    }
  }
  return std::nullopt;
}

bool InspectTarget(pid_t pid, TargetProcess* target, std::string* error) {
  const std::string proc = absl::StrCat("/proc/", pid);
  std::string text;
  int err = 0;
  if (!ReadProcFile(proc + "/status", &text, &err)) {
    *error = err == ENOENT ? absl::StrCat("no process ", pid)
                           : absl::StrCat("cannot read ", proc, "/status: ", strerror(err));
    return false;
  }
  TargetProcess t;
  t.pid = pid;
  if (!ParseProcStatus(text, &t.status)) {
    *error = absl::StrCat("cannot parse ", proc, "/status");
    return false;
  }
  // HotSpot answers only its own user and root; say so before anything else fails obscurely.
  if (geteuid() != 0 && geteuid() != t.status.uid) {
    *error = PermissionDenied(pid, t.status.uid);
    return false;
  }
  // maps, environ, root and cwd need ptrace-read access: our uid (and a dumpable process),
  // or root.
  if (!ReadProcFile(proc + "/maps", &text, &err)) {
    *error = (err == EACCES || err == EPERM) && geteuid() != 0 && geteuid() != t.status.uid
                 ? PermissionDenied(pid, t.status.uid)
                 : absl::StrCat("cannot read ", proc, "/maps: ", strerror(err),
                                err == EACCES || err == EPERM
                                    ? " (the process is not dumpable, or we may not trace it)"
                                    : "");
    return false;
  }
  bool openj9 = false;
  for (MappedFile& file : ParseMaps(text)) {
    if (IsHotSpotLibrary(file.path)) t.hotspot = true;
    if (IsOpenJ9Library(file.path)) openj9 = true;
    if (IsRecorderLibrary(file.path) && !t.recorder) t.recorder = std::move(file);
  }
  t.hotspot = t.hotspot && !openj9;
  if (ReadProcFile(proc + "/cmdline", &text, &err)) t.cmdline = SplitNul(text);
  if (ReadProcFile(proc + "/environ", &text, &err)) t.environ = SplitNul(text);
  t.root = proc + "/root";
  t.cwd = proc + "/cwd";
  *target = std::move(t);
  return true;
}

bool ActAsTargetUser(const TargetProcess& target, std::string* error) {
  if (geteuid() != 0 || target.status.uid == 0) return true;
  const ProcStatus& s = target.status;
  // Groups first, then gid, then uid: once the uid is not root, the others cannot change.
  if (setgroups(s.groups.size(), s.groups.data()) != 0 || setresgid(s.gid, s.gid, s.gid) != 0 ||
      setresuid(s.uid, s.uid, s.uid) != 0) {
    *error = absl::StrCat("cannot switch to process ", target.pid, "'s user (uid ", s.uid, ", gid ",
                          s.gid, "): ", strerror(errno));
    return false;
  }
  return true;
}

}  // namespace leakscope::analyzer::attach

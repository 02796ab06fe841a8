// SPDX-License-Identifier: Apache-2.0
#include "control/dump_request.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dump.h"
#include "dump_file_names.h"
#include "dump_label.h"

namespace leakscope::analyzer {
namespace {

int64_t NowNs(clockid_t clock) {
  timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// The seqs of the process' dumps in `dir`, ascending.
std::vector<uint64_t> DumpSeqs(const std::string& dir, int ns_pid) {
  std::vector<uint64_t> seqs;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) {
      int pid;
      uint64_t seq;
      if (dump_files::ParseDumpName(entry->d_name, &pid, &seq) && pid == ns_pid) {
        seqs.push_back(seq);
      }
    }
    closedir(d);
  }
  std::sort(seqs.begin(), seqs.end());
  return seqs;
}

std::string DumpPath(const std::string& dir, int ns_pid, uint64_t seq) {
  char name[96];
  dump_files::FormatDumpName(name, sizeof(name), ns_pid, seq);
  return dir + "/" + name;
}

bool Alive(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

// Writes the trigger: `label` and a newline into a temporary file beside it, then a rename.
// Returns 0, or errno with *step saying what failed.
int WriteTrigger(const TargetProcess& target, const std::string& trigger, const std::string& label,
                 const char** step) {
  std::string temp = trigger.substr(0, trigger.rfind('/') + 1) +
                     absl::StrCat(".leakscope.", target.ns_pid, ".trigger.", getpid(), ".tmp");
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    *step = "create";
    return errno;
  }
  int error = 0;
  std::string text = label.empty() ? "" : label + "\n";
  if (write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    error = errno != 0 ? errno : EIO;
    *step = "write";
  } else if (geteuid() == 0 && target.uid != 0 && fchown(fd, target.uid, target.gid) != 0) {
    // Root's 0600 file would be unreadable to the recorder: no label, or none we asked for.
    error = errno;
    *step = "give to the process' user";
  }
  close(fd);
  if (error == 0 && rename(temp.c_str(), trigger.c_str()) != 0) {
    error = errno;
    *step = "rename";
  }
  if (error != 0) unlink(temp.c_str());
  return error;
}

}  // namespace

DumpRequestResult RequestDump(const TargetProcess& target, const status_file::Status& status,
                              const DumpRequest& request) {
  DumpRequestResult result;
  result.dir = target.Reach(status.dir);
  const std::string trigger = target.Reach(status.trigger);
  char wanted[dump_label::kMaxBytes + 1];
  dump_label::CleanLabel(request.label.data(), request.label.size(), wanted);

  std::vector<uint64_t> before = DumpSeqs(result.dir, target.ns_pid);
  const bool had_any = !before.empty();
  const uint64_t last_before = had_any ? before.back() : 0;
  const int64_t requested_unix_ns = NowNs(CLOCK_REALTIME);
  const char* step = "";
  if (int error = WriteTrigger(target, trigger, request.label, &step); error != 0) {
    result.outcome =
        error == EACCES || error == EPERM ? DumpOutcome::kPermission : DumpOutcome::kFailed;
    result.error =
        absl::StrCat("cannot ", step, " the trigger for ", trigger, ": ", strerror(error));
    return result;
  }

  // Poll: the recorder looks for the trigger once a second, then writes the dump.
  const int64_t deadline = NowNs(CLOCK_MONOTONIC) + request.wait_ms * 1'000'000;
  uint64_t checked = last_before;  // dumps up to this seq are not ours
  bool any_checked = had_any;
  for (;;) {
    bool alive = Alive(target.pid);
    for (uint64_t seq : DumpSeqs(result.dir, target.ns_pid)) {
      if (any_checked && seq <= checked) continue;
      std::string path = DumpPath(result.dir, target.ns_pid, seq);
      Dump dump;
      std::string error;
      // A published dump is complete (written under another name, then renamed); one that
      // cannot be read is skipped, not ours to judge.
      if (!ReadDumpFile(path, &dump, &error)) continue;
      checked = seq;
      any_checked = true;
      if (dump.process.fixed.time_unix_ns < requested_unix_ns) continue;  // begun before
      if (wanted[0] != '\0' && dump.label != wanted) continue;
      result.outcome = DumpOutcome::kWritten;
      result.dump_path = path;
      return result;
    }
    if (!alive) {
      result.outcome = DumpOutcome::kExited;
      return result;
    }
    if (NowNs(CLOCK_MONOTONIC) >= deadline) {
      result.outcome = DumpOutcome::kTimeout;
      return result;
    }
    timespec tick{0, 100'000'000};
    nanosleep(&tick, nullptr);
  }
}

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
#include "status_file.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "core/clock.h"
#include "core/dump_file.h"
#include "core/raw_log.h"
#include "core/warn_limiter.h"
#include "dump.h"
#include "dump_file_names.h"
#include "private_fd_table.h"
#include "status_format.h"
#include "version.h"

namespace leakscope::recorder {
namespace {

// All under the dumper's mutex. The runtime directory is kept apart from the dump directory
// (which LEAKSCOPE_DIR may put anywhere) and checked again at every refresh, as that one is.
DumpDirectory* g_runtime = nullptr;
std::string* g_written_path = nullptr;  // the status file we wrote last ("": none)
std::string* g_written_dir = nullptr;   // the dump directory it names
const char* g_via = "preload";
// After a failed write, no new attempt before this CLOCK_MONOTONIC time: each attempt runs on a
// thread of its own (private_fd_table.h), too much to repeat every second for a lasting problem.
int64_t g_retry_after_ns = 0;
constexpr int64_t kRetryNs = 60'000'000'000;

std::string NameFor(int pid, bool temporary) {
  char name[64];
  if (temporary) {
    dump_files::FormatStatusTempName(name, sizeof(name), pid);
  } else {
    dump_files::FormatStatusName(name, sizeof(name), pid);
  }
  return name;
}

// The default dump directory: the dump directory itself when that is the default choice (same
// parent, so the same name or the same leakscope-<uid>-XXXXXX fallback: choosing again would
// warn twice about one refusal), else our private directory under the default parent.
DumpDirectory ChooseRuntime(const ReentrancyGuard& guard, const DumpDirectory& dump_dir) {
  std::string fallback = DefaultDumpDirectory();
  std::string parent = fallback.substr(0, fallback.rfind('/'));
  if (dump_dir.parent == parent) return dump_dir;
  return ChoosePrivateDirectory(guard, parent, "status file");
}

struct StatusJob {
  const char* temp;
  const char* final_name;
  const std::string* text;
  DumpFileResult result;
};

bool EncodeText(ByteSink* sink, void* arg) {
  const std::string* text = static_cast<StatusJob*>(arg)->text;
  return sink->Write(text->data(), text->size());
}

void WriteJob(const ReentrancyGuard&, void* arg) {
  StatusJob* job = static_cast<StatusJob*>(arg);
  job->result = WriteDumpFile(job->temp, job->final_name, EncodeText, job);
}

// Whether `path` is a file we wrote and left in place: a regular file of ours.
bool StillThere(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid();
}

}  // namespace

void SetStatusVia(const char* via) { g_via = via; }

void RefreshStatusFile(const ReentrancyGuard& guard, const DumpDirectory& dump_dir) {
  if (dump_dir.path.empty()) return;
  if (g_written_path == nullptr) {  // never freed: the exit path uses them from a destructor
    g_written_path = new std::string();
    g_written_dir = new std::string();
  }
  if (g_runtime == nullptr) g_runtime = new DumpDirectory(ChooseRuntime(guard, dump_dir));
  if (g_runtime->path.empty()) return;  // said when it was chosen
  // The same directory as the dumps: PrepareDumpDirectory has just checked it (dumper.cc).
  if (g_runtime->path != dump_dir.path && !PrepareDumpDirectory(guard, g_runtime)) return;
  const int pid = static_cast<int>(getpid());
  std::string path = g_runtime->path + "/" + NameFor(pid, /*temporary=*/false);
  if (path == *g_written_path && dump_dir.path == *g_written_dir && StillThere(path)) return;
  if (MonotonicNs() < g_retry_after_ns) return;

  char trigger[64];
  dump_files::FormatTriggerName(trigger, sizeof(trigger), pid);
  status_file::Status status;
  status.pid = pid;
  status.dir = dump_dir.path;
  status.trigger = dump_dir.path + "/" + trigger;
  status.via = g_via;
  status.version = std::string(VersionText());
  if (status.dir.find('\n') != std::string::npos) {
    // A line break would end the value early: a reader would see another directory.
    if (WarnAllowed(Problem::kStatusNotWritten)) {
      RawLog(LogLevel::kWarn, "no status file: the dump directory's name holds a line break");
    }
    return;
  }
  std::string text = status_file::Format(status);
  std::string temp = g_runtime->path + "/" + NameFor(pid, /*temporary=*/true);
  StatusJob job{temp.c_str(), path.c_str(), &text, {}};
  RunWithPrivateFdTable(WriteJob, &job, guard);
  if (!job.result.published) {
    g_retry_after_ns = MonotonicNs() + kRetryNs;
    if (WarnAllowed(Problem::kStatusNotWritten)) {
      RawLog(LogLevel::kWarn,
             "cannot write status file %s (%s): %s; `leakscope dump %d` will not find us",
             path.c_str(), job.result.step, strerror(job.result.error), pid);
    }
    return;
  }
  // The runtime directory moved (recreated elsewhere): the old file would name a stale place.
  if (!g_written_path->empty() && *g_written_path != path) unlink(g_written_path->c_str());
  *g_written_path = path;
  *g_written_dir = dump_dir.path;
}

void RemoveStatusFile() {
  if (g_written_path == nullptr || g_written_path->empty()) return;
  unlink(g_written_path->c_str());
  g_written_path->clear();
}

void ForgetStatusFileAfterFork() {
  // Fresh objects, as dumper.cc does for its own state: the parent's dumper may have been
  // changing these when it forked, so they are neither read nor freed here.
  if (g_written_path != nullptr) {
    g_written_path = new std::string();
    g_written_dir = new std::string();
  }
  g_runtime = nullptr;  // chosen again, with the same result, by the child's dumper
  g_retry_after_ns = 0;
}

}  // namespace leakscope::recorder

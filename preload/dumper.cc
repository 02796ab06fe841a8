// SPDX-License-Identifier: Apache-2.0
#include "dumper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "core/clock.h"
#include "core/dump_file.h"
#include "core/dump_retention.h"
#include "core/raw_log.h"
#include "core/warn_limiter.h"
#include "dump.h"
#include "dump_builder.h"
#include "dump_dir.h"
#include "dump_file_names.h"
#include "dump_label.h"
#include "fork_gate.h"
#include "got_routing.h"
#include "module_registry.h"
#include "private_fd_table.h"
#include "recorder.h"
#include "stale_temps.h"
#include "status_file.h"
#include "unwind/module_table.h"

namespace leakscope::recorder {
namespace {

// Serializes dump writing between the thread and the exit path. Only the dumper takes it.
pthread_mutex_t g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
// Never freed: the exit dump runs from a static destructor. Replaced (never changed in place)
// under g_dump_mutex when a dump moves to a fresh directory (PrepareDumpDirectory): a fork child
// may copy it at any moment, and the parent's dumper does not hold the fork gate. The same holds
// for g_retention, which a fork child replaces rather than resets.
DumpDirectory* g_dir = nullptr;
DumpRetention* g_retention = nullptr;
uint64_t g_next_seq = 0;
bool g_stopped = false;            // under g_dump_mutex: no dump after the final one
bool g_said_shared_table = false;  // under g_dump_mutex
bool g_stale_pending = false;      // under g_dump_mutex: stale temporaries not yet looked for
// A dump asked for through the trigger and not written yet, with its label (under g_dump_mutex).
// The trigger is removed in the critical section that sets it: the requester may see its trigger
// gone and exit at once, and whichever takes the mutex next, the dumper or the exit dump, must
// know of the request, or its labelled dump is lost to the race.
bool g_request_pending = false;
char g_request_label[dump_label::kMaxBytes + 1];

// <dir>/leakscope.<pid>.<seq>.dump, and the hidden temporary it is written under
// (dump_file_names.h).
std::string DumpPath(uint64_t seq, bool temporary) {
  char name[96];
  int pid = static_cast<int>(getpid());
  if (temporary) {
    dump_files::FormatTempName(name, sizeof(name), pid, seq);
  } else {
    dump_files::FormatDumpName(name, sizeof(name), pid, seq);
  }
  return g_dir->path + "/" + name;
}

std::string TriggerPath() {
  char name[64];
  dump_files::FormatTriggerName(name, sizeof(name), static_cast<int>(getpid()));
  return g_dir->path + "/" + name;
}

// An exec'd image keeps its pid: continue after the dumps the previous image left, rather than
// overwrite them.
uint64_t FirstFreeSeq() {
  DIR* dir = opendir(g_dir->path.c_str());
  if (dir == nullptr) return 0;
  uint64_t next = 0;
  while (dirent* entry = readdir(dir)) {
    int pid;
    uint64_t seq;
    if (dump_files::ParseDumpName(entry->d_name, &pid, &seq) && pid == getpid() && seq + 1 > next) {
      next = seq + 1;
    }
  }
  closedir(dir);
  return next;
}

struct DumpJob {
  const ReentrancyGuard* guard;  // the writing thread's
  uint64_t seq;
  const char* label;  // "" when unlabelled
  const char* temp;
  const char* final_name;
  DumpFileResult result;
};

bool EncodeInto(ByteSink* sink, void* arg) {
  DumpJob* job = static_cast<DumpJob*>(arg);
  DumpEncoder encoder(sink);
  return EncodeDump(*job->guard, job->seq, job->label, &encoder);
}

void WriteJob(const ReentrancyGuard& guard, void* arg) {
  DumpJob* job = static_cast<DumpJob*>(arg);
  job->guard = &guard;
  job->result = WriteDumpFile(job->temp, job->final_name, EncodeInto, job);
}

void NoteSharedTable(const PrivateTableRun& run) {
  if (!run.private_table && !g_said_shared_table) {
    g_said_shared_table = true;
    RawLog(LogLevel::kInfo, "no private descriptor table for dumps (%s); writing them with checks",
           strerror(run.error));
  }
}

// Removes one older dump chosen by the retention policy; false when there is none to remove.
// A dump already gone (the user removed it) counts as removed.
bool RemoveOneOlderDump() {
  uint64_t old_seq;
  if (!g_retention->LeastNeeded(&old_seq)) return false;
  std::string old = DumpPath(old_seq, /*temporary=*/false);
  if (unlink(old.c_str()) == 0)
    RawLog(LogLevel::kInfo, "removed %s (LEAKSCOPE_MAX_DUMPS)", old.c_str());
  g_retention->Removed(old_seq);
  return true;
}

// Set while the exit dump is written: its failure is always said, since nothing comes after it.
bool g_writing_exit_dump = false;

// The dump may not land where it should: say why, at most once an hour (warn_limiter.h), and
// always for the exit dump.
void WarnNotWritten(const DumpFileResult& r, const std::string& temp,
                    const std::string& final_name) {
  if (!WarnAllowed(Problem::kDumpNotWritten) && !g_writing_exit_dump) return;
  if (r.error == EBADF) {
    RawLog(LogLevel::kWarn, "dump %s not written: the program closed or reused its descriptor",
           final_name.c_str());
  } else if (strcmp(r.step, "create") == 0) {
    RawLog(LogLevel::kWarn, "cannot create %s: %s", temp.c_str(), strerror(r.error));
  } else {
    RawLog(LogLevel::kWarn, "cannot write dump %s (%s): %s", final_name.c_str(), r.step,
           strerror(r.error));
  }
}

// Writes one dump; caller holds g_dump_mutex. The file is written on a thread with a private
// descriptor table, so the program closing or reusing descriptor numbers cannot send our bytes
// into its files (see private_fd_table.h and dump_file.h). Messages are written afterwards, from
// this thread: the helper's fd 2 is not the program's.
void WriteDumpLocked(const ReentrancyGuard& guard, const char* label) {
  if (g_dir == nullptr || g_dir->path.empty() || g_stopped) return;
  // Checked (and recreated after a /tmp cleaner) before every dump, not only at start.
  DumpDirectory dir = *g_dir;
  bool usable = PrepareDumpDirectory(guard, &dir);
  if (dir.path != g_dir->path) {
    // The old one is left to a fork child that may be copying it (see g_dir).
    __atomic_store_n(&g_dir, new DumpDirectory(dir), __ATOMIC_RELEASE);
  }
  if (!usable) return;
  // Room first, so the new dump (the exit dump included) always fits under the cap.
  while (g_retention->Full() && RemoveOneOlderDump()) {
  }
  uint64_t seq = g_next_seq++;
  std::string temp = DumpPath(seq, /*temporary=*/true);
  std::string final_name = DumpPath(seq, /*temporary=*/false);
  DumpJob job{nullptr, seq, label, temp.c_str(), final_name.c_str(), {}};
  NoteSharedTable(RunWithPrivateFdTable(WriteJob, &job, guard));
  // A full disk: give up one older dump of ours (the thinning the cap would do later anyway) and
  // try once more, so that the newest state, the exit dump above all, is the one on disk.
  if (!job.result.published && (job.result.error == ENOSPC || job.result.error == EDQUOT) &&
      RemoveOneOlderDump()) {
    RawLog(LogLevel::kInfo, "disk full; removed an older dump to write %s", final_name.c_str());
    job.result = {};
    NoteSharedTable(RunWithPrivateFdTable(WriteJob, &job, guard));
  }
  if (!job.result.published) {
    WarnNotWritten(job.result, temp, final_name);
    return;
  }
  g_retention->Published(seq);
  if (label[0] != '\0') {
    RawLog(LogLevel::kInfo, "wrote %s (label \"%s\")", final_name.c_str(), label);
  } else {
    RawLog(LogLevel::kInfo, "wrote %s", final_name.c_str());
  }
}

// A dump for the trigger's request (labelled as it asked) or for the interval (unlabelled).
void WriteRequestedOrPeriodicDump(const ReentrancyGuard& guard) {
  pthread_mutex_lock(&g_dump_mutex);
  if (g_request_pending) {
    g_request_pending = false;
    WriteDumpLocked(guard, g_request_label);
  } else {
    WriteDumpLocked(guard, "");
  }
  // The dump may have moved to another directory: the status file must say where.
  if (g_dir != nullptr && !g_stopped) RefreshStatusFile(guard, *g_dir);
  pthread_mutex_unlock(&g_dump_mutex);
}

struct LabelJob {
  const char* path;
  char label[dump_label::kMaxBytes + 1];
};

// Reads the label from the trigger. O_NONBLOCK and the fstat: a FIFO at the name must never
// block the dumper (opening one for reading waits for a writer), and only a regular file is
// read; O_NOFOLLOW: a symlink planted at the name is not followed (it still requests a dump,
// unlabelled). A regular file never blocks a read, so the bounded loop ends.
void ReadLabel(const ReentrancyGuard&, void* arg) {
  LabelJob* job = static_cast<LabelJob*>(arg);
  job->label[0] = '\0';
  int fd = open(job->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  // Two bytes beyond the longest label: a "\r\n" after it, or the byte that says whether the
  // cut falls inside a UTF-8 character (dump_label.h).
  char bytes[dump_label::kMaxBytes + 2];
  size_t size = 0;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    while (size < sizeof(bytes)) {
      ssize_t n = read(fd, bytes + size, sizeof(bytes) - size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      size += static_cast<size_t>(n);
    }
  }
  close(fd);
  dump_label::CleanLabel(bytes, size, job->label);
}

// Whether a dump was requested: a trigger counts once, when we removed it, and is then pending
// (g_request_pending) with its first line, read before it is removed, as the dump's label ("" for
// none). One we cannot remove (a directory at its name, a file we may not unlink) would otherwise
// request a dump every second forever: it is ignored, with one warning per trigger (by file
// identity). After the exit dump a trigger is left alone: no dump would answer it.
bool TakeTrigger(const ReentrancyGuard& guard) {
  pthread_mutex_lock(&g_dump_mutex);
  std::string trigger = TriggerPath();
  pthread_mutex_unlock(&g_dump_mutex);
  struct stat st;
  if (lstat(trigger.c_str(), &st) != 0) return false;
  int error = EISDIR;
  if (!S_ISDIR(st.st_mode)) {
    LabelJob job;
    job.path = trigger.c_str();
    job.label[0] = '\0';
    pthread_mutex_lock(&g_dump_mutex);
    if (g_stopped) {
      pthread_mutex_unlock(&g_dump_mutex);
      return false;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
      // In a private descriptor table, as the dumps: the program may reuse descriptor numbers.
      NoteSharedTable(RunWithPrivateFdTable(ReadLabel, &job, guard));
    }
    bool taken = unlink(trigger.c_str()) == 0;
    error = errno;
    if (taken) {
      g_request_pending = true;
      memcpy(g_request_label, job.label, sizeof(job.label));
    }
    pthread_mutex_unlock(&g_dump_mutex);
    if (taken) return true;
    if (error == ENOENT) return false;  // removed by someone else in between: not ours to take
  }
  static bool warned = false;  // only this thread
  static dev_t warned_dev;
  static ino_t warned_ino;
  if (!warned || warned_dev != st.st_dev || warned_ino != st.st_ino) {
    warned = true;
    warned_dev = st.st_dev;
    warned_ino = st.st_ino;
    RawLog(LogLevel::kWarn, "ignoring trigger %s: cannot remove it (%s); no dump is taken for it",
           trigger.c_str(), strerror(error));
  }
  return false;
}

struct CleanJob {
  const char* dir;
  uint64_t removed;
};

void CleanStaleTemps(const ReentrancyGuard& guard, void* arg) {
  CleanJob* job = static_cast<CleanJob*>(arg);
  job->removed = RemoveStaleTemps(guard, job->dir);
}

// Once per start (not after fork: the parent did it), before the first dump: by the thread, or
// by the exit dump of a program that ends before the thread ran.
void RemoveStaleTempsLocked(const ReentrancyGuard& guard) {
  if (!g_stale_pending || g_dir == nullptr || g_dir->path.empty() || g_stopped) return;
  g_stale_pending = false;
  std::string dir = g_dir->path;
  CleanJob job{dir.c_str(), 0};
  NoteSharedTable(RunWithPrivateFdTable(CleanStaleTemps, &job, guard));
  if (job.removed != 0) {
    RawLog(LogLevel::kInfo, "removed %llu stale temporary dump files from %s",
           static_cast<unsigned long long>(job.removed), dir.c_str());
  }
}

void* DumperMain(void*) {
  // For its whole life this thread is "inside the recorder": its allocations are not recorded.
  ReentrancyGuard guard;
  pthread_setname_np(pthread_self(), "leakscope-dump");
  ProveLoader(guard);  // in a fork child; see module_registry.h
  pthread_mutex_lock(&g_dump_mutex);
  RemoveStaleTempsLocked(guard);
  if (!g_stopped) RefreshStatusFile(guard, *g_dir);  // the directory is settled: say where
  pthread_mutex_unlock(&g_dump_mutex);
  const uint64_t interval = g_recorder.options.interval_ns;
  int64_t next_periodic = MonotonicNs() + static_cast<int64_t>(interval);
  for (;;) {
    // Sleep at most a second so the trigger file is noticed promptly.
    int64_t now = MonotonicNs();
    int64_t wake = now + 1'000'000'000;
    if (interval != 0 && next_periodic < wake) wake = next_periodic;
    if (wake > now) {
      timespec ts{static_cast<time_t>((wake - now) / 1'000'000'000),
                  static_cast<long>((wake - now) % 1'000'000'000)};
      while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
      }
    }
    TickRecorderClock();  // the births of samples taken until the next wake (recorder.h)
    if (ModuleTableInUse()) {
      // Modules loaded by a dlopen the hook passed on as a tail call (hooks_dl.cc).
      ForkSection section(guard);
      RefreshModuleTable();
    }
    // Under an agent's routing, modules loaded since: a dlopen by bare name, or by a module whose
    // dlopen slot was not ours yet (got_routing.h).
    if (g_recorder.ready()) RouteNewModules();
    bool due = interval != 0 && MonotonicNs() >= next_periodic;
    if (TakeTrigger(guard) || due) {
      WriteRequestedOrPeriodicDump(guard);
    } else {
      // Rewritten if a /tmp cleaner removed it or its directory; two lstat calls otherwise.
      pthread_mutex_lock(&g_dump_mutex);
      if (!g_stopped) RefreshStatusFile(guard, *g_dir);
      pthread_mutex_unlock(&g_dump_mutex);
    }
    if (due) {
      // Skip missed periods (a stopped process) instead of dumping in a burst.
      now = MonotonicNs();
      while (next_periodic <= now) next_periodic += static_cast<int64_t>(interval);
    }
  }
  return nullptr;
}

void SpawnThread() {
  // Block every signal in the dumper: the JVM and the program own signal handling, and a
  // signal delivered here could run their handler on a thread they do not know.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, DumperMain, nullptr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    RawLog(LogLevel::kWarn, "cannot start the dump thread: %s; dumps only at exit", strerror(rc));
  }
}

void SayWhereDumpsGo() {
  const Options& o = g_recorder.options;
  char interval[48];
  if (o.interval_ns == 0) {
    snprintf(interval, sizeof(interval), "at exit");
  } else {
    snprintf(interval, sizeof(interval), "every %llu ms and at exit",
             static_cast<unsigned long long>(o.interval_ns / 1'000'000));
  }
  RawLog(LogLevel::kInfo, "recording pid %d (%s); dumps %s to %s/leakscope.%d.<seq>.dump",
         static_cast<int>(getpid()), o.sample_bytes <= 1 ? "every allocation" : "sampling",
         interval, g_dir->path.c_str(), static_cast<int>(getpid()));
}

}  // namespace

void StartDumper(const ReentrancyGuard& guard) {
  // Chosen (and a relative LEAKSCOPE_DIR made absolute) now, before main can chdir.
  g_dir = new DumpDirectory(ChooseDumpDirectory(guard, g_recorder.options.dir));
  g_retention = new DumpRetention(g_recorder.options.max_dumps);
  if (g_dir->path.empty()) return;
  g_next_seq = FirstFreeSeq();
  SayWhereDumpsGo();
  g_stale_pending = true;
  SpawnThread();
}

void WriteFinalDump(const ReentrancyGuard& guard) {
  pthread_mutex_lock(&g_dump_mutex);
  RemoveStaleTempsLocked(guard);
  if (g_request_pending) {
    // Asked for just before the exit (the trigger is gone, the requester may be what is
    // exiting): written first, under its label, so the request is answered as asked.
    g_request_pending = false;
    WriteDumpLocked(guard, g_request_label);
  }
  g_writing_exit_dump = true;
  WriteDumpLocked(guard, "");
  g_writing_exit_dump = false;
  // After the exit dump: a client waiting for a dump finds it before it finds us gone.
  if (!g_stopped) RemoveStatusFile();
  g_stopped = true;
  pthread_mutex_unlock(&g_dump_mutex);
}

void RestartDumperAfterFork(const ReentrancyGuard&) {
  // The parent's dumper may have held the mutex at fork time (a dump takes milliseconds, and fork
  // does not wait for one, only for the sections of fork_gate.h within it); that thread does not
  // exist here, and what the mutex guards is set afresh below.
  g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
  if (g_dir == nullptr || g_dir->path.empty()) return;
  g_stopped = false;
  // This process' own series: the parent's dumps are not ours to count or remove. A new object:
  // the parent's dumper may have been changing the old one when it forked.
  g_retention = new DumpRetention(g_recorder.options.max_dumps);
  g_next_seq = FirstFreeSeq();
  SayWhereDumpsGo();
  g_stale_pending = false;      // the parent looked
  g_request_pending = false;    // the parent's request, answered by the parent
  ForgetStatusFileAfterFork();  // the parent's; the new thread writes this process' own
  SpawnThread();
}

void StopDumperAfterUnsafeFork() {
  g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
  ForgetStatusFileAfterFork();  // never remove the parent's at this child's exit
  g_request_pending = false;
  g_stopped = true;
}

}  // namespace leakscope::recorder

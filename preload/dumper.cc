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

#include "dump.h"
#include "dump_builder.h"
#include "dump_dir.h"
#include "module_registry.h"
#include "dump_file.h"
#include "private_fd_table.h"
#include "raw_log.h"
#include "recorder.h"

namespace leakscope {
namespace {

// Serializes dump writing between the thread and the exit path. Only the dumper takes it.
pthread_mutex_t g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
// Never freed: the exit dump runs from a static destructor.
std::string* g_dir = nullptr;
uint64_t g_next_seq = 0;
bool g_stopped = false;            // under g_dump_mutex: no dump after the final one
bool g_said_shared_table = false;  // under g_dump_mutex

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// <dir>/leakscope.<pid>.<seq>.dump, and the hidden temporary it is written under.
std::string DumpPath(uint64_t seq, bool temporary) {
  char name[96];
  snprintf(name, sizeof(name), "/%sleakscope.%d.%llu.dump%s", temporary ? "." : "",
           static_cast<int>(getpid()), static_cast<unsigned long long>(seq),
           temporary ? ".tmp" : "");
  return *g_dir + name;
}

std::string TriggerPath() {
  char name[64];
  snprintf(name, sizeof(name), "/leakscope.%d.trigger", static_cast<int>(getpid()));
  return *g_dir + name;
}

// An exec'd image keeps its pid: continue after the dumps the previous image left, rather than
// overwrite them.
uint64_t FirstFreeSeq() {
  DIR* dir = opendir(g_dir->c_str());
  if (dir == nullptr) return 0;
  char prefix[48];
  int prefix_length = snprintf(prefix, sizeof(prefix), "leakscope.%d.", static_cast<int>(getpid()));
  uint64_t next = 0;
  while (dirent* entry = readdir(dir)) {
    if (strncmp(entry->d_name, prefix, prefix_length) != 0) continue;
    char* end;
    unsigned long long seq = strtoull(entry->d_name + prefix_length, &end, 10);
    if (end != entry->d_name + prefix_length && strcmp(end, ".dump") == 0 && seq + 1 > next) {
      next = seq + 1;
    }
  }
  closedir(dir);
  return next;
}

struct DumpJob {
  const ReentrancyGuard* guard;  // the writing thread's
  uint64_t seq;
  const char* temp;
  const char* final_name;
  DumpFileResult result;
};

bool EncodeInto(ByteSink* sink, void* arg) {
  DumpJob* job = static_cast<DumpJob*>(arg);
  DumpEncoder encoder(sink);
  return EncodeDump(*job->guard, job->seq, &encoder);
}

void WriteJob(const ReentrancyGuard& guard, void* arg) {
  DumpJob* job = static_cast<DumpJob*>(arg);
  job->guard = &guard;
  job->result = WriteDumpFile(job->temp, job->final_name, EncodeInto, job);
}

// Writes one dump; caller holds g_dump_mutex. The file is written on a thread with a private
// descriptor table, so the program closing or reusing descriptor numbers cannot send our bytes
// into its files (see private_fd_table.h and dump_file.h). Messages are written afterwards, from
// this thread: the helper's fd 2 is not the program's.
void WriteDumpLocked(const ReentrancyGuard& guard) {
  if (g_dir == nullptr || g_dir->empty() || g_stopped) return;
  uint64_t seq = g_next_seq++;
  std::string temp = DumpPath(seq, /*temporary=*/true);
  std::string final_name = DumpPath(seq, /*temporary=*/false);
  DumpJob job{nullptr, seq, temp.c_str(), final_name.c_str(), {}};
  PrivateTableRun run = RunWithPrivateFdTable(WriteJob, &job, guard);
  if (!run.private_table && !g_said_shared_table) {
    g_said_shared_table = true;
    RawLog(LogLevel::kInfo, "no private descriptor table for dumps (%s); writing them with checks",
           strerror(run.error));
  }
  const DumpFileResult& r = job.result;
  if (!r.published) {
    if (r.error == EBADF) {
      RawLog(LogLevel::kWarn, "dump %s not written: the program closed or reused its descriptor",
             final_name.c_str());
    } else if (strcmp(r.step, "create") == 0) {
      RawLog(LogLevel::kWarn, "cannot create %s: %s", temp.c_str(), strerror(r.error));
    } else {
      RawLog(LogLevel::kWarn, "cannot write dump %s (%s): %s", final_name.c_str(), r.step,
             strerror(r.error));
    }
    return;
  }
  RawLog(LogLevel::kInfo, "wrote %s", final_name.c_str());
}

void WriteDump(const ReentrancyGuard& guard) {
  pthread_mutex_lock(&g_dump_mutex);
  WriteDumpLocked(guard);
  pthread_mutex_unlock(&g_dump_mutex);
}

bool TakeTrigger() {
  std::string trigger = TriggerPath();
  if (access(trigger.c_str(), F_OK) != 0) return false;
  unlink(trigger.c_str());
  return true;
}

void* DumperMain(void*) {
  // For its whole life this thread is "inside the recorder": its allocations are not recorded.
  ReentrancyGuard guard;
  pthread_setname_np(pthread_self(), "leakscope-dump");
  ProveLoader(guard);  // in a fork child; see module_registry.h
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
    bool due = interval != 0 && MonotonicNs() >= next_periodic;
    if (TakeTrigger() || due) WriteDump(guard);
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
         interval, g_dir->c_str(), static_cast<int>(getpid()));
}

}  // namespace

void StartDumper(const ReentrancyGuard& guard) {
  g_dir = new std::string(ChooseDumpDirectory(guard, g_recorder.options.dir));
  if (g_dir->empty()) return;
  g_next_seq = FirstFreeSeq();
  SayWhereDumpsGo();
  SpawnThread();
}

void WriteFinalDump(const ReentrancyGuard& guard) {
  pthread_mutex_lock(&g_dump_mutex);
  WriteDumpLocked(guard);
  g_stopped = true;
  pthread_mutex_unlock(&g_dump_mutex);
}

void RestartDumperAfterFork(const ReentrancyGuard&) {
  // The parent's dumper may have held the mutex at fork time (a dump takes milliseconds, and fork
  // does not wait for one, only for the sections of fork_gate.h within it); that thread does not
  // exist here, and what the mutex guards is set afresh below.
  g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
  if (g_dir == nullptr || g_dir->empty()) return;
  g_stopped = false;
  g_next_seq = FirstFreeSeq();
  SayWhereDumpsGo();
  SpawnThread();
}

void StopDumperAfterUnsafeFork() {
  g_dump_mutex = PTHREAD_MUTEX_INITIALIZER;
  g_stopped = true;
}

}  // namespace leakscope

// SPDX-License-Identifier: Apache-2.0
#include "private_fd_table.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace leakscope::recorder {
namespace {

// close_range(2) arrived in Linux 5.9; glibc has no wrapper before 2.34 (we need 2.17).
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

struct Job {
  void (*fn)(const ReentrancyGuard&, void*);
  void* arg;
  PrivateTableRun run;
};

void* RunJob(void* p) {
  ReentrancyGuard guard;
  Job* job = static_cast<Job*>(p);
  if (unshare(CLONE_FILES) == 0) {
    job->run.private_table = true;
    // Our copy of every program descriptor goes now, not when this thread exits. Before Linux
    // 5.9 (ENOSYS) they stay until the thread ends, milliseconds later: as a fork does. All but
    // fd 2: what the dump's own code says (RawLog) goes to the stderr the recorder found at
    // start, and in this table fd 2 stays that file (raw_log.cc checks it is) whatever the
    // program does with its own fd 2 meanwhile.
    syscall(SYS_close_range, 0u, 1u, 0u);
    syscall(SYS_close_range, 3u, ~0u, 0u);
  } else {
    job->run.error = errno;
  }
  job->fn(guard, job->arg);
  return nullptr;
}

}  // namespace

PrivateTableRun RunWithPrivateFdTable(void (*fn)(const ReentrancyGuard&, void*), void* arg,
                                      const ReentrancyGuard& caller_guard) {
  Job job{fn, arg, {}};
  // The thread inherits our signal mask: block everything, so no handler of the program or the
  // JVM runs on a thread it does not know.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, RunJob, &job);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    job.run.error = rc;
    fn(caller_guard, arg);
    return job.run;
  }
  pthread_join(thread, nullptr);
  return job.run;
}

}  // namespace leakscope::recorder

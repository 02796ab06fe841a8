// SPDX-License-Identifier: Apache-2.0
// timed_run: runs a command and writes its wall time, CPU time and peak RSS to a file, for
// scripts/bench. GNU time reports CPU in hundredths of a second and bash's `times` mixes in the
// shell's own children; wait4() gives microseconds for exactly this command, including every
// thread and every descendant it waited for (heaptrack's interpreter and compressor).
//
// Usage: timed_run OUTFILE COMMAND [ARG...]
// OUTFILE gets one line: "wall_s user_s sys_s maxrss_kib exit_status". The command's stdin,
// stdout and stderr are left alone. timed_run exits with the command's status (128 + signal when
// it was killed), or 127 when it could not be started.

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace {

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

double Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: timed_run OUTFILE COMMAND [ARG...]\n");
    return 2;
  }
  FILE* out = fopen(argv[1], "w");
  if (out == nullptr) {
    fprintf(stderr, "timed_run: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  double start = Now();
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "timed_run: fork: %s\n", strerror(errno));
    return 127;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    fprintf(stderr, "timed_run: %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      fprintf(stderr, "timed_run: wait4: %s\n", strerror(errno));
      return 127;
    }
  }
  double wall = Now() - start;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fprintf(out, "%.6f %.6f %.6f %ld %d\n", wall, Seconds(usage.ru_utime), Seconds(usage.ru_stime),
          usage.ru_maxrss, code);
  if (fclose(out) != 0) {
    fprintf(stderr, "timed_run: %s: %s\n", argv[1], strerror(errno));
    return 2;
  }
  return code;
}

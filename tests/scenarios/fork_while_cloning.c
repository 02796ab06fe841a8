/* qemu-user's fork deadlock, without leakscope: a fork child hangs for good in its first
 * pthread_create when another thread of the parent was creating or ending a thread at the
 * moment of fork().
 *
 * qemu-user (seen with Debian 12's qemu-aarch64-static 7.2) serialises guest thread creation
 * and guest thread exit with a host mutex of its own (clone_lock in linux-user/syscall.c), and
 * its fork path (fork_start/fork_end) neither takes nor resets that mutex. A fork that lands
 * while another guest thread holds it leaves it locked in the child, held by a thread the child
 * does not have; the child's next clone(CLONE_VM) waits on it forever. On a real kernel there is
 * no such lock and this program never hangs. The recorder hits it because its dumper starts a
 * short-lived thread for every dump (private_fd_table.h) and a fork child starts a dumper of its
 * own (docs/platforms.md, arm64).
 *
 * Usage: fork_while_cloning FORKS [TIMEOUT_MS [--no-churn]]
 *   A second thread creates and joins a thread that does nothing, over and over (with
 *   --no-churn it does not run: the baseline, which must never hang). Meanwhile main forks FORKS
 *   children one after another; each child creates and joins one thread, then _exits 0. A child
 *   not gone TIMEOUT_MS (default 5000) after its fork is hung: its pid and where it waits go to
 *   stderr, and it is killed. Prints "forks <done> hangs <h> failed <f>" and exits 0 when h and
 *   f are both 0, 1 otherwise. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* Nothing(void* unused) { return unused; }

static void OneThread(void) {
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, Nothing, NULL) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
}

static void* Churn(void* unused) {
  for (;;) OneThread();
  return unused;
}

static long long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void SayWhereItWaits(pid_t child) {
  char path[64], wchan[64] = "?";
  snprintf(path, sizeof(path), "/proc/%d/wchan", (int)child);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, wchan, sizeof(wchan) - 1);
    wchan[n > 0 ? n : 0] = '\0';
    close(fd);
  }
  fprintf(stderr, "hung child %d (wchan %s)\n", (int)child, wchan);
}

/* 0: exited 0; 1: exited otherwise or killed by a signal; 2: still there after timeout_ms. */
static int Reap(pid_t child, long long timeout_ms) {
  long long deadline = NowMs() + timeout_ms;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(child, &status, WNOHANG);
    CHECK(r == child || r == 0);
    if (r == child) return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    if (NowMs() >= deadline) break;
    struct timespec pause = {0, 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  SayWhereItWaits(child);
  kill(child, SIGKILL);
  CHECK(waitpid(child, NULL, 0) == child);
  return 2;
}

int main(int argc, char** argv) {
  CHECK(argc >= 2 && argc <= 4);
  int forks = atoi(argv[1]);
  long long timeout_ms = argc >= 3 ? atoll(argv[2]) : 5000;
  int churn = !(argc == 4 && strcmp(argv[3], "--no-churn") == 0);
  CHECK(forks >= 0 && timeout_ms > 0);
  pthread_t thread;
  if (churn) CHECK(pthread_create(&thread, NULL, Churn, NULL) == 0);
  int hangs = 0, failed = 0, done = 0;
  for (; done < forks; ++done) {
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      OneThread();
      _exit(0);
    }
    int outcome = Reap(child, timeout_ms);
    hangs += outcome == 2;
    failed += outcome == 1;
  }
  printf("forks %d hangs %d failed %d\n", done, hangs, failed);
  return hangs == 0 && failed == 0 ? 0 : 1;
}
/* SPDX-License-Identifier: Apache-2.0 */

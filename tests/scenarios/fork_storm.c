/* Issue 12: a child must never hang at exit because the parent's recorder threads held a lock
 * (the loader's, inside dl_iterate_phdr, or one of ours) at the moment of fork().
 *
 * Usage: fork_storm [--churn | --hold-loader] LIBRARY COPIES WORKDIR FORKS
 *                   [TIMEOUT_MS [MAX_HANGS]]
 *   Copies LIBRARY (libforkling.so) COPIES times into WORKDIR and dlopens every copy (distinct
 *   files: the loader shares one object between names of the same file), so that whoever walks
 *   the module list (the parent's dumper, run with a short LEAKSCOPE_INTERVAL) holds the
 *   loader's lock for long. Then forks FORKS children one after another. Each child runs
 *   child_leak (one 777-byte block, kept) and calls exit(), which writes its exit dump. A child
 *   not gone TIMEOUT_MS (default 5000) after its fork is hung: its pid and where it waits
 *   (/proc wchan) go to stderr, and it is killed. After MAX_HANGS hangs (default 3) the storm
 *   stops early.
 *   --churn: a second thread reopens the first copy (RTLD_NOLOAD) and closes it again, over and
 *   over. Without the preload that only counts references under the loader's outer lock, which
 *   glibc resets in a fork child; under it, every dlclose first runs the recorder's module
 *   refresh, a walk of the whole module list: a program thread inside one of our hooks, holding
 *   the loader's inner lock, nearly all of the time.
 *   --hold-loader: a second thread stays inside a dl_iterate_phdr callback, holding the loader's
 *   lock, for the whole storm (after one dlopen/dlclose pair, in which the preload's dlclose
 *   hook takes note of every copy). A child that walks the module list waits for good; one
 *   that does not (as without the preload) is not affected.
 * Prints "forks <done> hangs <h> failed <f>" (failed: exited non-zero or killed by a signal)
 * and exits 0 when h and f are both 0, 1 otherwise. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept;

NOINLINE void child_leak(void) { kept = Sink(malloc(777)); }

static void CopyFile(const char* from, const char* to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  CHECK(in >= 0);
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
  CHECK(out >= 0);
  char buffer[16384];
  ssize_t n;
  while ((n = read(in, buffer, sizeof(buffer))) > 0) CHECK(write(out, buffer, (size_t)n) == n);
  CHECK(n == 0);
  close(in);
  CHECK(close(out) == 0);
}

static void LoadCopies(const char* library, int copies, const char* workdir) {
  for (int i = 0; i < copies; ++i) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/forkling%d.so", workdir, i);
    CopyFile(library, path);
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    CHECK(handle != NULL);
    int (*id)(void) = (int (*)(void))dlsym(handle, "forkling_id");
    CHECK(id != NULL && id() == 1);
  }
}

static char first_copy[4096];

static void* Churn(void* unused) {
  (void)unused;
  for (;;) {
    void* handle = dlopen(first_copy, RTLD_NOW | RTLD_NOLOAD);
    CHECK(handle != NULL);
    CHECK(dlclose(handle) == 0);
  }
  return NULL;
}

static int hold_pipe[2];     /* the holder writes one byte once inside, then reads one */
static int released_pipe[2]; /* main writes one byte here to let the holder go */

static int HoldLoader(struct dl_phdr_info* info, size_t size, void* unused) {
  (void)info, (void)size, (void)unused;
  char byte = 1;
  CHECK(write(hold_pipe[1], &byte, 1) == 1);
  CHECK(read(released_pipe[0], &byte, 1) == 1);
  return 1; /* stop after the first module */
}

static void* Holder(void* unused) {
  (void)unused;
  dl_iterate_phdr(HoldLoader, NULL);
  return NULL;
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
  long pause_ns = 20 * 1000;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(child, &status, WNOHANG);
    CHECK(r == child || r == 0);
    if (r == child) return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
    if (NowMs() >= deadline) break;
    struct timespec t = {0, pause_ns};
    nanosleep(&t, NULL);
    if (pause_ns < 5 * 1000 * 1000) pause_ns *= 2;
  }
  SayWhereItWaits(child);
  kill(child, SIGKILL);
  CHECK(waitpid(child, NULL, 0) == child);
  return 2;
}

int main(int argc, char** argv) {
  int churn = argc > 1 && strcmp(argv[1], "--churn") == 0;
  int hold = argc > 1 && strcmp(argv[1], "--hold-loader") == 0;
  argv += churn + hold;
  argc -= churn + hold;
  CHECK(argc >= 5 && argc <= 7);
  int copies = atoi(argv[2]);
  int forks = atoi(argv[4]);
  long long timeout_ms = argc >= 6 ? atoll(argv[5]) : 5000;
  int max_hangs = argc == 7 ? atoi(argv[6]) : 3;
  CHECK(copies >= 1 && forks >= 0 && timeout_ms > 0 && max_hangs > 0);
  LoadCopies(argv[1], copies, argv[3]);
  snprintf(first_copy, sizeof(first_copy), "%s/forkling0.so", argv[3]);
  pthread_t thread;
  if (churn) CHECK(pthread_create(&thread, NULL, Churn, NULL) == 0);
  if (hold) {
    CHECK(dlclose(dlopen(first_copy, RTLD_NOW | RTLD_NOLOAD)) == 0);
    CHECK(pipe2(hold_pipe, O_CLOEXEC) == 0 && pipe2(released_pipe, O_CLOEXEC) == 0);
    CHECK(pthread_create(&thread, NULL, Holder, NULL) == 0);
    char byte;
    CHECK(read(hold_pipe[0], &byte, 1) == 1);
  }
  int hangs = 0, failed = 0, done = 0;
  for (; done < forks && hangs < max_hangs; ++done) {
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      child_leak();
      exit(0); /* not _exit: the recorder writes the child's dump at exit */
    }
    int outcome = Reap(child, timeout_ms);
    hangs += outcome == 2;
    failed += outcome == 1;
  }
  if (hold) {
    char byte = 1;
    CHECK(write(released_pipe[1], &byte, 1) == 1);
    CHECK(pthread_join(thread, NULL) == 0);
  }
  printf("forks %d hangs %d failed %d\n", done, hangs, failed);
  return hangs == 0 && failed == 0 ? 0 : 1;
}
/* SPDX-License-Identifier: Apache-2.0 */

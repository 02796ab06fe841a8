/* Ways out of a process that skip exit()'s handlers, under the preload. Modes (argv[1]):
 *   _exit        exit_leak (3 x 1000 B), then _exit(3)
 *   _Exit        exit_leak, then _Exit(5)
 *   threads      two threads malloc and free without pause; once both have, exit_leak, then
 *                _exit(4) while they run
 *   fork         parent_leak (2 x 700 B), fork; the child runs child_leak (4 x 250 B) and
 *                _exit(6)s; the parent waits, prints "child <pid> status <s>" and exits with
 *                exit(0)
 *   vfork        parent_leak, vfork; the child _exit(7)s at once; the parent waits, prints
 *                "child <pid> status <s>", then after_vfork_leak (5 x 300 B), and exits
 *                with exit(0)
 *   handler      exit_leak, then raise(SIGUSR1), whose handler calls _exit(9)
 *   altstack     as handler, with the handler on an alternate signal stack: _exit(10)
 *   after-exit   exit_leak, then exit(0), whose atexit handler calls _exit(8)
 *   late-exit    exit_leak, then exit(0); liblastexit's destructor, which runs after the
 *                preload's, calls _exit(11) */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario.h"

void exit_late(int code); /* liblastexit.c */

static void* kept[16];
static int kept_count;

static void Keep(void* p) {
  CHECK(p != NULL);
  kept[kept_count++] = p;
}

NOINLINE void exit_leak(void) {
  for (int i = 0; i < 3; ++i) Keep(malloc(1000));
}

NOINLINE void parent_leak(void) {
  for (int i = 0; i < 2; ++i) Keep(malloc(700));
}

NOINLINE void child_leak(void) {
  for (int i = 0; i < 4; ++i) Keep(malloc(250));
}

NOINLINE void after_vfork_leak(void) {
  for (int i = 0; i < 5; ++i) Keep(malloc(300));
}

static int churning; /* threads that have allocated at least once */

NOINLINE void* churn(void* arg) {
  (void)arg;
  free(Sink(malloc(64)));
  __atomic_add_fetch(&churning, 1, __ATOMIC_RELEASE);
  for (;;) free(Sink(malloc(64)));
  return NULL;
}

static void ExitFromHandler(int sig) {
  (void)sig;
  _exit(9);
}

static void ExitFromAltstackHandler(int sig) {
  (void)sig;
  _exit(10);
}

static void ExitFromAtexit(void) { _exit(8); }

static void WaitFor(pid_t child) {
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  printf("child %d status %d\n", (int)child, WEXITSTATUS(status));
  fflush(stdout);
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  const char* mode = argv[1];
  if (strcmp(mode, "_exit") == 0) {
    exit_leak();
    _exit(3);
  }
  if (strcmp(mode, "_Exit") == 0) {
    exit_leak();
    _Exit(5);
  }
  if (strcmp(mode, "threads") == 0) {
    pthread_t threads[2];
    for (int i = 0; i < 2; ++i) CHECK(pthread_create(&threads[i], NULL, churn, NULL) == 0);
    while (__atomic_load_n(&churning, __ATOMIC_ACQUIRE) < 2) sched_yield();
    exit_leak();
    _exit(4);
  }
  if (strcmp(mode, "fork") == 0) {
    parent_leak();
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      child_leak();
      _exit(6);
    }
    WaitFor(child);
    exit(0);
  }
  if (strcmp(mode, "vfork") == 0) {
    parent_leak();
    fflush(stdout);
    pid_t child = vfork();
    CHECK(child >= 0);
    if (child == 0) _exit(7);
    WaitFor(child);
    after_vfork_leak();
    exit(0);
  }
  if (strcmp(mode, "handler") == 0) {
    CHECK(signal(SIGUSR1, ExitFromHandler) != SIG_ERR);
    exit_leak();
    raise(SIGUSR1);
    return 100;
  }
  if (strcmp(mode, "late-exit") == 0) {
    exit_late(11);
    exit_leak();
    exit(0);
  }
  if (strcmp(mode, "altstack") == 0) {
    static char alternate[64 * 1024];
    stack_t ss = {.ss_sp = alternate, .ss_flags = 0, .ss_size = sizeof(alternate)};
    CHECK(sigaltstack(&ss, NULL) == 0);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = ExitFromAltstackHandler;
    action.sa_flags = SA_ONSTACK;
    CHECK(sigaction(SIGUSR1, &action, NULL) == 0);
    exit_leak();
    raise(SIGUSR1);
    return 100;
  }
  if (strcmp(mode, "after-exit") == 0) {
    CHECK(atexit(ExitFromAtexit) == 0);
    exit_leak();
    exit(0);
  }
  return 100;
}

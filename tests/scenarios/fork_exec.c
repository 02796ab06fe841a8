/* fork and exec under the preload. Modes (argv[1]):
 *   fork        parent_leak (3 x 1000 B), fork; the child runs child_leak (2 x 500 B) and exits;
 *               the parent waits and prints "child <pid>".
 *   fork-sleep  as fork, but the child sleeps 600 ms before exiting (its own dumper thread must
 *               write periodic dumps meanwhile).
 *   exec        parent_leak, fork, the child execs this program with "exec-child"; the parent
 *               waits and prints "child <pid>" and "parent-hooked=<0|1>".
 *   exec-child  exec_child_leak (4 x 250 B); prints "child-hooked=<0|1>": whether malloc resolves
 *               to the preload in the exec'd image.
 *   raw-fork    as fork, but with _Fork, which runs no fork handlers (the recorder's neither). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[8];
static int kept_count;

static void Keep(void* p) {
  CHECK(p != NULL);
  kept[kept_count++] = p;
}

NOINLINE void parent_leak(void) {
  for (int i = 0; i < 3; ++i) Keep(malloc(1000));
}

NOINLINE void child_leak(void) {
  for (int i = 0; i < 2; ++i) Keep(malloc(500));
}

NOINLINE void exec_child_leak(void) {
  for (int i = 0; i < 4; ++i) Keep(malloc(250));
}

static int Hooked(void) {
  Dl_info info;
  void* f = dlsym(RTLD_DEFAULT, "malloc");
  return f != NULL && dladdr(f, &info) != 0 && info.dli_fname != NULL &&
         strstr(info.dli_fname, "libleakscope") != NULL;
}

static int WaitFor(pid_t child) {
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child);
  printf("child %d\n", (int)child);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  const char* mode = argv[1];
  if (strcmp(mode, "exec-child") == 0) {
    exec_child_leak();
    printf("child-hooked=%d\n", Hooked());
    return 0;
  }
  parent_leak();
  fflush(stdout);
  pid_t child = strcmp(mode, "raw-fork") == 0 ? _Fork() : fork();
  CHECK(child >= 0);
  if (child == 0) {
    if (strcmp(mode, "exec") == 0) {
      char* child_argv[] = {argv[0], "exec-child", NULL};
      execv("/proc/self/exe", child_argv);
      _exit(101);
    }
    child_leak();
    if (strcmp(mode, "fork-sleep") == 0) {
      struct timespec t = {0, 600 * 1000 * 1000};
      nanosleep(&t, NULL);
    }
    exit(0); /* not _exit: the recorder writes its dump at exit */
  }
  int code = WaitFor(child);
  if (strcmp(mode, "exec") == 0) printf("parent-hooked=%d\n", Hooked());
  return code;
}
/* SPDX-License-Identifier: Apache-2.0 */

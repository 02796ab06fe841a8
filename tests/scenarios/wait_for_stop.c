/* Records until told to stop, for tests that talk to a running process (its status file,
 * `leakscope dump PID`): leaks 2 x 700 B in before_request, writes "ready <pid>\n" to stdout,
 * then waits (at most 20 s) for the file argv[1] to appear, and leaks 3 x 900 B in after_stop.
 * With "fork" as argv[2] it forks first; the child prints its own "ready <pid>" line and waits
 * too, and the parent reaps it before exiting. Exit 2: no stop file in time. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[5];
static int kept_count;

NOINLINE void before_request(void) {
  for (int i = 0; i < 2; ++i) kept[kept_count++] = malloc(700);
}

NOINLINE void after_stop(void) {
  for (int i = 0; i < 3; ++i) kept[kept_count++] = malloc(900);
}

static int WaitForStop(const char* path) {
  struct timespec tick = {0, 20 * 1000 * 1000};
  struct stat st;
  for (int waited = 0; waited < 20000; waited += 20) {
    if (stat(path, &st) == 0) return 1;
    nanosleep(&tick, NULL);
  }
  return 0;
}

int main(int argc, char** argv) {
  CHECK(argc >= 2);
  setvbuf(stdout, NULL, _IONBF, 0);
  before_request();
  pid_t child = -1;
  if (argc >= 3 && argv[2][0] == 'f') {
    child = fork();
    CHECK(child >= 0);
  }
  printf("ready %d\n", (int)getpid());
  if (!WaitForStop(argv[1])) return 2;
  after_stop();
  if (child > 0) {
    int status;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

/* A labelled dump requested just before the program exits, with the dumper held up right after it
 * took the request. The program leaks in before_request (2 x 700 B), writes
 * $LEAKSCOPE_DIR/leakscope.<pid>.trigger holding the label "last batch", waits (at most 5 s) for
 * the recorder to remove it, and returns from main at once: the exit dump races the dump the
 * request asked for.
 *
 * The race is made certain, not hoped for: this program defines unlink, which the recorder's call
 * binds to (the executable comes first in symbol lookup; the symbol is exported at link time).
 * On the dumper's thread, after removing the trigger, it sleeps 500 ms: the dumper preempted just
 * after it took the request, as happens on a loaded machine. Exit 2: the trigger stayed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[2];
static pid_t main_thread;

NOINLINE void before_request(void) {
  for (int i = 0; i < 2; ++i) kept[i] = malloc(700);
}

static int EndsWith(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int unlink(const char* path) {
  int rc = (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
  if (rc == 0 && gettid() != main_thread && EndsWith(path, ".trigger")) {
    struct timespec held = {0, 500 * 1000 * 1000};
    nanosleep(&held, NULL);
  }
  return rc;
}

int main(void) {
  main_thread = gettid();
  const char* dir = getenv("LEAKSCOPE_DIR");
  CHECK(dir != NULL);
  char trigger[4096], temp[4096];
  snprintf(trigger, sizeof(trigger), "%s/leakscope.%d.trigger", dir, (int)getpid());
  snprintf(temp, sizeof(temp), "%s/request.tmp", dir);
  before_request();
  int fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  CHECK(write(fd, "last batch\n", 11) == 11);
  close(fd);
  CHECK(rename(temp, trigger) == 0);
  struct timespec tick = {0, 1000 * 1000};
  struct stat st;
  for (int waited = 0; stat(trigger, &st) == 0; ++waited) {
    if (waited == 5000) return 2;
    nanosleep(&tick, NULL);
  }
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

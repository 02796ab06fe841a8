/* Requests a dump on demand: leaks in before_trigger (2 x 700 B), creates
 * $LEAKSCOPE_DIR/leakscope.<pid>.trigger, waits (at most 5 s) for leakscope.<pid>.0.dump to appear
 * and (at most 3 s) for the trigger to be removed, then leaks in after_trigger (3 x 900 B) and
 * exits. Exit 2: no dump came; 3: the trigger stayed. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[5];
static int kept_count;

NOINLINE void before_trigger(void) {
  for (int i = 0; i < 2; ++i) kept[kept_count++] = malloc(700);
}

NOINLINE void after_trigger(void) {
  for (int i = 0; i < 3; ++i) kept[kept_count++] = malloc(900);
}

static int Exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Polls every 20 ms until Exists(path) == want or the time is up. */
static int WaitFor(const char* path, int want, int millis) {
  struct timespec tick = {0, 20 * 1000 * 1000};
  for (int waited = 0; waited < millis; waited += 20) {
    if (Exists(path) == want) return 1;
    nanosleep(&tick, NULL);
  }
  return Exists(path) == want;
}

int main(void) {
  const char* dir = getenv("LEAKSCOPE_DIR");
  CHECK(dir != NULL);
  char trigger[4096], dump[4096];
  snprintf(trigger, sizeof(trigger), "%s/leakscope.%d.trigger", dir, (int)getpid());
  snprintf(dump, sizeof(dump), "%s/leakscope.%d.0.dump", dir, (int)getpid());
  before_trigger();
  int fd = open(trigger, O_WRONLY | O_CREAT | O_EXCL, 0600);
  CHECK(fd >= 0);
  close(fd);
  if (!WaitFor(dump, 1, 5000)) return 2;
  if (!WaitFor(trigger, 0, 3000)) return 3;
  after_trigger();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

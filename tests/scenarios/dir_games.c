/* Does to its own dump directory what programs, users and /tmp cleaners do, while the recorder
 * runs (the tests set a LEAKSCOPE_INTERVAL of 100 to 400 ms), then leaks in `at_end`
 * (3 x 500 B) and exits 0. argv[1] says what:
 *   sleep MS              only waits MS milliseconds (another user plays the games);
 *   chdir DIR MS          chdir(DIR), then waits MS milliseconds;
 *   trigger-dir DIR MS    makes a directory at DIR/leakscope.<pid>.trigger, then waits;
 *   remove-dir DIR        waits for DIR/leakscope.<pid>.0.dump, then at once (a whole interval
 *                         before the next dump) moves DIR away and removes it with everything in
 *                         it, and waits 1 s;
 *   block-dir DIR         as remove-dir, then puts a regular file at DIR's name for 2 s (five
 *                         intervals of 400 ms), then removes that file and waits 1 s.
 * Exit 2: the first dump did not come within 5 s; 100: a failed check. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static void* kept[3];

NOINLINE void at_end(void) {
  for (int i = 0; i < 3; ++i) kept[i] = malloc(500);
}

static void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static int WaitForFile(const char* path, int millis) {
  struct stat st;
  for (int waited = 0; waited < millis; waited += 20) {
    if (stat(path, &st) == 0) return 1;
    SleepMs(20);
  }
  return stat(path, &st) == 0;
}

/* rm -r of a flat directory of files. */
static void RemoveFlat(const char* dir) {
  DIR* d = opendir(dir);
  CHECK(d != NULL);
  struct dirent* e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    CHECK(unlink(path) == 0);
  }
  closedir(d);
  CHECK(rmdir(dir) == 0);
}

int main(int argc, char** argv) {
  CHECK(argc >= 2);
  const char* what = argv[1];
  if (strcmp(what, "sleep") == 0) {
    CHECK(argc == 3);
    SleepMs(atoi(argv[2]));
  } else if (strcmp(what, "chdir") == 0) {
    CHECK(argc == 4);
    CHECK(chdir(argv[2]) == 0);
    SleepMs(atoi(argv[3]));
  } else if (strcmp(what, "trigger-dir") == 0) {
    CHECK(argc == 4);
    char trigger[4096];
    snprintf(trigger, sizeof(trigger), "%s/leakscope.%d.trigger", argv[2], (int)getpid());
    CHECK(mkdir(trigger, 0700) == 0);
    SleepMs(atoi(argv[3]));
  } else if (strcmp(what, "remove-dir") == 0 || strcmp(what, "block-dir") == 0) {
    CHECK(argc == 3);
    const char* dir = argv[2];
    char first[4096];
    snprintf(first, sizeof(first), "%s/leakscope.%d.0.dump", dir, (int)getpid());
    if (!WaitForFile(first, 5000)) return 2;
    /* One step, so the recorder never sees a half-emptied directory. */
    char gone[4200];
    snprintf(gone, sizeof(gone), "%s.gone", dir);
    CHECK(rename(dir, gone) == 0);
    RemoveFlat(gone);
    if (strcmp(what, "remove-dir") == 0) {
      SleepMs(1000);
    } else {
      /* The recorder may make the directory again between our rmdir and open: then again. */
      int fd;
      for (int tries = 0; (fd = open(dir, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0; ++tries) {
        CHECK(tries < 50);
        RemoveFlat(dir);
      }
      close(fd);
      SleepMs(2000);
      CHECK(unlink(dir) == 0);
      SleepMs(1000);
    }
  } else {
    CHECK(!"unknown mode");
  }
  at_end();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

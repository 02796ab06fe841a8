/* A program that owns every descriptor from 3 up: a thread closes them all with
 * close_range(3, ~0) every 200 us, as some daemons and process pools do, while the main thread
 * opens its own file again and again, appending a fixed record through each new descriptor; so the
 * numbers the closer frees are soon the program's again. Meanwhile the recorder dumps every
 * 100 ms (the test sets LEAKSCOPE_INTERVAL). The program's file must end up holding nothing but
 * its records, and the recorder's dumps nothing but dumps.
 * Usage: fd_churn <records file> <milliseconds> */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static const char kRecord[] = "program record\n";
static atomic_int stop;

static void* closer(void* unused) {
  (void)unused;
  struct timespec pause = {0, 200 * 1000};
  while (!atomic_load(&stop)) {
    syscall(SYS_close_range, 3u, ~0u, 0u);
    nanosleep(&pause, NULL);
  }
  return NULL;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  CHECK(argc == 3);
  CHECK(syscall(SYS_close_range, 3u, ~0u, 0u) == 0); /* the kernel has it (Linux 5.9) */
  double end = now_ms() + atof(argv[2]);
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, closer, NULL) == 0);
  while (now_ms() < end) {
    /* Never closed here: the closer does that, and between two of its sweeps these opens take
     * every number from 3 up, whoever had it before. */
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EMFILE) continue; /* the closer was not scheduled for a while */
    CHECK(fd >= 0);
    /* A record lands whole in whatever file the number names, or not at all (EBADF). */
    ssize_t n = write(fd, kRecord, sizeof(kRecord) - 1);
    CHECK(n == (ssize_t)(sizeof(kRecord) - 1) || (n < 0 && errno == EBADF));
  }
  atomic_store(&stop, 1);
  CHECK(pthread_join(thread, NULL) == 0);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

/* Writes to stdout and stderr through stdio (buffered and unbuffered) and write(2), from the
 * main thread and from two others, allocating as it goes, and exits with code 3. Its output and
 * exit code must be the same with and without the preload. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static char results[2][64];

static void* Worker(void* arg) {
  int t = (int)(long)arg;
  unsigned long sum = 0;
  for (int i = 0; i < 10000; ++i) {
    unsigned char* p = malloc(16 + (size_t)(i % 200));
    CHECK(p != NULL);
    p[0] = (unsigned char)i;
    sum += p[0];
    free(p);
  }
  snprintf(results[t], sizeof(results[t]), "worker %d sum %lu\n", t, sum);
  return NULL;
}

int main(void) {
  printf("stdout line 1\n");
  fprintf(stderr, "stderr line 1\n");
  static const char kRaw[] = "raw write\n";
  fflush(stdout);
  CHECK(write(1, kRaw, sizeof(kRaw) - 1) == (ssize_t)(sizeof(kRaw) - 1));
  pthread_t threads[2];
  for (long t = 0; t < 2; ++t) CHECK(pthread_create(&threads[t], NULL, Worker, (void*)t) == 0);
  for (int t = 0; t < 2; ++t) CHECK(pthread_join(threads[t], NULL) == 0);
  for (int t = 0; t < 2; ++t) fputs(results[t], stdout);
  char* text = strdup("strdup'd text");
  printf("%s, %zu bytes\n", text, strlen(text));
  free(text);
  fprintf(stderr, "stderr line 2\n");
  printf("exiting with 3\n");
  return 3;
}
/* SPDX-License-Identifier: Apache-2.0 */

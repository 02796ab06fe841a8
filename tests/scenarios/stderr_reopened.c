/* A daemon's start: it closes descriptors 0-2 and opens three files of its own, which get
 * numbers 0, 1 and 2, writes a line to each, then removes the (empty) dump directory, so the
 * recorder has a warning to give at exit (that it made the directory again for the exit dump;
 * see preload/dump_dir.h). The warning must not land in the
 * daemon's third file, which is fd 2 now but not the stderr the process started with.
 * With "-" instead of the file names the program keeps its descriptors: the warning then goes to
 * the stderr it started with, as always.
 * Usage: stderr_reopened <dump dir> <file 0> <file 1> <file 2> | stderr_reopened <dump dir> - */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[2], "-") == 0) {
    CHECK(rmdir(argv[1]) == 0);
    return 0;
  }
  CHECK(argc == 5);
  close(0);
  close(1);
  close(2);
  for (int i = 0; i < 3; ++i) {
    int fd = open(argv[2 + i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd != i) _exit(101); /* stderr is gone: the exit code says it */
    char line[] = "daemon file N\n";
    line[12] = (char)('0' + i);
    if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) _exit(102);
  }
  if (rmdir(argv[1]) != 0) _exit(103);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

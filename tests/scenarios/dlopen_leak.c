/* dlopens the library argv[1] (libleaky.so), calls leaky_run, dlcloses it and checks it is
 * really unmapped: the dump must keep the module, flagged unloaded, to name the leak's frames.
 * argv[2], when given, is how many milliseconds to wait between the dlopen and leaky_run.
 * Also built as dlopen_runpath, with a DT_RUNPATH naming the directory of libleaky.so, so that
 * argv[1] may be the bare name "libleaky.so", found only through this program's RUNPATH. */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

#include "scenario.h"

int main(int argc, char** argv) {
  CHECK(argc == 2 || argc == 3);
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  void (*run)(void) = (void (*)(void))dlsym(lib, "leaky_run");
  CHECK(run != NULL);
  if (argc == 3) {
    long ms = atol(argv[2]);
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
  }
  run();
  CHECK(dlclose(lib) == 0);
  CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

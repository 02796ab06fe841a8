/* Not linked with zlib: dlopens argv[1] (libzuser.so, which is) with RTLD_LOCAL and runs it, the
 * way the JVM reaches zlib through libzip.so. Exit code: zuser_run's result (0 = zlib worked). */
#include <dlfcn.h>

#include "scenario.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  /* Precondition: zlib is not loaded before the library brings it in. */
  CHECK(dlopen("libz.so.1", RTLD_NOW | RTLD_NOLOAD) == NULL);
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  int (*run)(void) = (int (*)(void))dlsym(lib, "zuser_run");
  CHECK(run != NULL);
  return run();
}
/* SPDX-License-Identifier: Apache-2.0 */

/* dlopens the library argv[1] (libleaky.so), calls leaky_run, dlcloses it and checks it is
 * really unmapped: the dump must keep the module, flagged unloaded, to name the leak's frames. */
#include <dlfcn.h>

#include "scenario.h"

int main(int argc, char** argv) {
  CHECK(argc == 2);
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  void (*run)(void) = (void (*)(void))dlsym(lib, "leaky_run");
  CHECK(run != NULL);
  run();
  CHECK(dlclose(lib) == 0);
  CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL);
  return 0;
}

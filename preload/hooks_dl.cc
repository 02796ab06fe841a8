// dlopen and dlclose: keep the stack walk's module lookup (module_table.h) and the dumper's
// module registry in step with what is loaded.
#include "export.h"
#include "fork_gate.h"
#include "module_registry.h"
#include "module_table.h"
#include "real_functions.h"
#include "recorder.h"
#include "unwinder.h"

using namespace leakscope;

// Only glibc < 2.35 (the recorder's own module table) needs to see a new module. Everywhere else
// this is a tail call, and that matters: glibc's dlopen searches the DT_RUNPATH of the module
// that called it, found from its return address. Through a tail call that is the program's
// module; through a normal call it would be ours, which has none. So on old glibcs a library
// that dlopens a bare name found only through its own RUNPATH will not find it under the
// recorder (absolute paths, LD_LIBRARY_PATH, the executable's RPATH and ld.so.cache still work).
LEAKSCOPE_EXPORT void* dlopen(const char* file, int mode) {
  if (!ModuleTableInUse()) return real::dlopen(file, mode);
  void* handle = real::dlopen(file, mode);
  if (handle != nullptr) {
    ReentrancyGuard guard;
    ForkSection section(guard);  // the table's writer lock must not be cut in two by a fork
    RefreshModuleTable();
  }
  return handle;
}

LEAKSCOPE_EXPORT int dlclose(void* handle) {
  {
    ReentrancyGuard guard;
    if (guard.entered() && g_recorder.ready()) RefreshModules(guard);
  }
  // Before the real dlclose unmaps anything: from here no walk reads a module's unwind tables,
  // and those in flight are waited for.
  BeginModuleUnload();
  int rc = real::dlclose(handle);
  ForgetFrameShapes();
  {
    ReentrancyGuard guard;
    ForkSection section(guard);
    EndModuleUnload();
  }
  return rc;
}

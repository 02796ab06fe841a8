// SPDX-License-Identifier: Apache-2.0
// dlopen and dlclose: keep the stack walk's module lookup (module_table.h) and the dumper's
// module registry in step with what is loaded.
#include <string.h>

#include "export.h"
#include "fork_gate.h"
#include "got_routing.h"
#include "module_registry.h"
#include "real_functions.h"
#include "recorder.h"
#include "unwind/module_table.h"
#include "unwinder.h"

using namespace leakscope::recorder;

namespace {

// Whether dlopen(file) finds its file without asking who called: a path with a slash and no
// dynamic string token. A bare name is searched in the DT_RPATH/DT_RUNPATH of the module that
// called dlopen, and $ORIGIN expands to that module's directory; glibc finds that module from
// dlopen's return address.
bool LoadsByPath(const char* file) {
  return file != nullptr && strchr(file, '/') != nullptr && strchr(file, '$') == nullptr;
}

}  // namespace

// Only glibc < 2.35 (the recorder's own module table) needs to see a new module, and only there
// is this more than a tail call. A normal call would make glibc take libleakscope for the caller
// (above): a library that dlopens a bare name found through its own RUNPATH (CUDA's pip wheels
// do) would not find it under the recorder. So only loads by path get the immediate refresh,
// after a normal call; everything else stays a tail call, and the dumper adds the module within a
// second (walks through it stop at its first frame until then: short stacks, nothing worse).
//
// Under an agent that routes calls through GOT slots (got_routing.h), a module loaded by path
// gets its slots rewritten here too, before its first call; the dumper's pass catches the others.
LEAKSCOPE_EXPORT void* dlopen(const char* file, int mode) {
  if ((!ModuleTableInUse() && !Routing()) || !LoadsByPath(file)) return real::dlopen(file, mode);
  void* handle = real::dlopen(file, mode);
  if (handle != nullptr) {
    ReentrancyGuard guard;
    if (ModuleTableInUse()) {
      ForkSection section(guard);  // the table's writer lock must not be cut in two by a fork
      RefreshModuleTable();
    }
    RouteNewModules();
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
    {
      ForkSection section(guard);
      EndModuleUnload();
    }
    // At once, not at the next dump: a library loaded next may take the freed addresses, and its
    // stacks must carry the epoch after this unload (module_registry.h).
    if (guard.entered() && g_recorder.ready()) RefreshModules(guard);
  }
  return rc;
}

// dlclose: remember the module map before a library goes, so its frames stay symbolizable.
#include "export.h"
#include "module_registry.h"
#include "real_functions.h"
#include "recorder.h"

using namespace leakscope;

LEAKSCOPE_EXPORT int dlclose(void* handle) {
  {
    ReentrancyGuard guard;
    if (guard.entered() && g_recorder.ready()) RefreshModules(guard);
  }
  return real::dlclose(handle);
}

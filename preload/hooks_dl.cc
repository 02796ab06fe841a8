// dlclose: remember the module map before a library goes, so its frames stay symbolizable,
// and forget the frame shapes read from its unwind tables once it has gone.
#include "export.h"
#include "module_registry.h"
#include "real_functions.h"
#include "recorder.h"
#include "unwinder.h"

using namespace leakscope;

LEAKSCOPE_EXPORT int dlclose(void* handle) {
  {
    ReentrancyGuard guard;
    if (guard.entered() && g_recorder.ready()) RefreshModules(guard);
  }
  int rc = real::dlclose(handle);
  ForgetFrameShapes();
  return rc;
}

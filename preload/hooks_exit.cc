// _exit and _Exit: the ways out that skip exit()'s handlers, and with them the destructor that
// writes the exit dump (lifecycle.cc). Python's os._exit, a fork child that must not run its
// parent's atexit handlers, a SIGTERM handler. glibc's own calls (exit() itself, posix_spawn's
// child) use its internal alias and never come here.
#include <stdlib.h>
#include <unistd.h>

#include "export.h"
#include "lifecycle.h"
#include "real_functions.h"

using namespace leakscope::recorder;

LEAKSCOPE_EXPORT void _exit(int status) {
  WriteDumpBeforeImmediateExit("_exit");
  real::ExitNow(status);
}

// glibc's _Exit is another name for its _exit.
LEAKSCOPE_EXPORT void _Exit(int status) noexcept {
  WriteDumpBeforeImmediateExit("_Exit");
  real::ExitNow(status);
}

/* Linked into exit_paths (not dlopened). Like libearly, the loader initialises it before the
 * preload, so its destructor runs after the preload's, which has written the exit dump by then:
 * an _exit from here must not write a second one. */
#include <unistd.h>

#include "scenario.h"

static int late_exit_code = -1;

/* From now on, the library's destructor ends the process with _exit(code). */
__attribute__((visibility("default"))) void exit_late(int code) { late_exit_code = code; }

__attribute__((destructor)) static void LateExit(void) {
  if (late_exit_code >= 0) _exit(late_exit_code);
}

// Where dumps go: LEAKSCOPE_DIR, else the first entry of LOG_DIRS (a YARN container's log
// directory, so dumps travel with the container logs), else a per-user directory under /tmp
// created 0700 and checked (a real directory, not a symlink, owned by us, not writable by others).
#pragma once

#include <string>

#include "thread_state.h"

namespace leakscope {

// Returns the directory to use, creating it when needed. An unusable choice gets one warning
// and the next candidate; returns "" (after a warning) if none works: dumps are then not written.
std::string ChooseDumpDirectory(const ReentrancyGuard& guard, const char* configured_dir);

// The per-user default, /tmp/leakscope-<uid> (or $TMPDIR/leakscope-<uid>).
std::string DefaultDumpDirectory();

}  // namespace leakscope

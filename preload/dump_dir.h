// SPDX-License-Identifier: Apache-2.0
// Where dumps go: LEAKSCOPE_DIR, else the first entry of LOG_DIRS (a YARN container's log
// directory, so dumps travel with the container logs), else a per-user directory under /tmp.
//
// Every file the recorder creates is created in a directory that is ours alone: a real directory
// (not a symlink), owned by our effective uid, writable by no one else. Anything else could let
// another user plant a file or a link at a name we are about to use, or read what we write.
// - A configured directory (LEAKSCOPE_DIR, LOG_DIRS) is made absolute once, at start, so a later
//   chdir of the program does not move it. If it is ours and writable only by us it is used
//   as is; otherwise (a shared, world-writable or someone else's directory) dumps go to our own
//   subdirectory <dir>/leakscope-<uid>, created 0700 and checked.
// - The default is <$TMPDIR or /tmp>/leakscope-<uid>, created 0700 and checked.
// - If that private directory cannot be used (another user made it first, it is a symlink, ...),
//   dumps go to <parent>/leakscope-<uid>-XXXXXX, which no one else can have made: one of ours an
//   earlier process made (owned by us, checked like the rest), else a fresh one from mkdtemp.
//   One warning says where.
// - Before every dump the directory is checked again; one that has disappeared (a /tmp cleaner)
//   is recreated with the same checks. Warnings about a lasting problem are rate-limited
//   (warn_limiter.h).
//
// All of this runs at start-up and on the dumper thread, never in an allocation hook.
#pragma once

#include <string>

#include "thread_state.h"

namespace leakscope::recorder {

struct DumpDirectory {
  std::string path;  // absolute; "" when there is none: no dumps are written
  // Where a private mkdtemp directory may be made when `path` is unusable; "" for a configured
  // directory used as is (we do not make directories beside the user's choice).
  std::string parent;
  bool fell_back = false;  // path is a mkdtemp directory already
};

// Chooses the directory at start (see above), creating it when needed. An unusable choice gets
// one warning and the next candidate; path is "" (after a warning) if none works.
DumpDirectory ChooseDumpDirectory(const ReentrancyGuard& guard, const char* configured_dir);

// Before a dump: whether dir->path is still a directory of ours alone, recreating it if it has
// disappeared and moving to a mkdtemp directory under dir->parent if it is no longer usable
// (dir->path changes then, with one warning). False (after a rate-limited warning) when no dump
// can be written now. Caller holds the dumper's mutex.
bool PrepareDumpDirectory(const ReentrancyGuard& guard, DumpDirectory* dir);

// Our private directory under `parent`: <parent>/leakscope-<uid>, else a leakscope-<uid>-XXXXXX
// fallback beside it (one warning naming it, and `purpose` says what it is for); path "" after a
// warning when neither can be used. The default dump directory is chosen this way.
DumpDirectory ChoosePrivateDirectory(const ReentrancyGuard& guard, const std::string& parent,
                                     const char* purpose);

// The per-user default, /tmp/leakscope-<uid> (or $TMPDIR/leakscope-<uid>).
std::string DefaultDumpDirectory();

}  // namespace leakscope::recorder

// SPDX-License-Identifier: Apache-2.0
// The recorder library as the target JVM opens it. The JVM dlopens the path `load` names, in its
// own filesystem and as its own user: our path works when it leads there to this very file and
// the JVM's user can read it. Otherwise (a JVM in a container, a build in root's home) a copy is
// put in the JVM's filesystem: <its /tmp>/leakscope-<uid>/libleakscope-<crc32>-<size>.so, in a
// directory of that user's alone (0700, as the recorder's default dump directory), written
// under a temporary name created O_EXCL|O_NOFOLLOW and renamed; a copy with the same content is
// reused, so repeated attaches do not pile up files.
#pragma once

#include <string>

#include "attach/target_process.h"

namespace leakscope::analyzer::attach {

// `library_fd` is our library, opened before ActAsTargetUser (the JVM's user may not be able to
// open it); `library_path` its absolute path here. Call as the target's user, so the copy and
// its directory are that user's. Returns the path to pass to `load`, or "" with *error one line.
std::string PlaceLibrary(int library_fd, const std::string& library_path,
                         const TargetProcess& target, std::string* error);

}  // namespace leakscope::analyzer::attach

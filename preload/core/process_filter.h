// SPDX-License-Identifier: Apache-2.0
// LEAKSCOPE_PROCESS: which processes record. In a YARN container the launch script's own tools
// (bash, ln, cp, chmod, find) run under the same LD_PRELOAD as the executor's JVM; with a filter
// they pass every hook straight through, start no thread and write nothing, while the programs
// they exec (the JVM) inherit LD_PRELOAD and decide for themselves.
//
// The name matched is the base name of the running executable, /proc/self/exe: the file the
// kernel ran, whatever argv[0] says (a JVM started as `exec -a executor java` is still `java`;
// `bash -c` is `bash`). Without /proc (a chroot), glibc's program_invocation_short_name, argv[0]'s
// base name, stands in.
#pragma once

#include <cstddef>

namespace leakscope::recorder {

// The base name of this process's executable into `out` (truncated to `size` - 1 bytes).
// No allocation; one readlink system call.
void ExecutableBaseName(char* out, size_t size);

// Whether this process records under `list` (null: every process does).
bool ProcessSelected(const char* list);

}  // namespace leakscope::recorder

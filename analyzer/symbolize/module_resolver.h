// SPDX-License-Identifier: Apache-2.0
// Finds the files that describe a module of a dump: the ELF binary (under --sysroot when given)
// and its separate debug file (build-id directory or .gnu_debuglink, under --debug-dir and
// /usr/lib/debug). Every file is checked against the dump's build-id, so a file rebuilt since
// the dump was taken is never used to name its frames.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "symbolize/elf_file.h"

namespace leakscope::analyzer {

struct ResolverOptions {
  std::string sysroot;                  // prefix for module paths; empty = this machine
  std::vector<std::string> debug_dirs;  // searched before <sysroot>/usr/lib/debug, /usr/lib/debug
};

struct ResolvedModule {
  // The binary, when found and its build-id matches; may be null when only a debug file matched.
  std::unique_ptr<ElfFile> binary;
  // A separate debug file (or null), verified by build-id or debuglink CRC.
  std::unique_ptr<ElfFile> debug;
  // Why the module cannot be symbolized; empty when binary or debug is set.
  std::string problem;
};

ResolvedModule ResolveModule(const std::string& path, const std::string& build_id,
                             const ResolverOptions& options);

}  // namespace leakscope::analyzer

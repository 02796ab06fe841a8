// SPDX-License-Identifier: Apache-2.0
// Whether the analyzer may symbolize a dump with the module files it would open. A dump's return
// addresses are looked up in the files its module paths name: on this machine, or under
// --sysroot. This machine's /usr/lib/.../libc.so.6 is x86-64 code; an aarch64 dump's addresses
// looked up in it would name wrong functions without any sign of being wrong (a build-id check
// catches this only for modules whose dump carries one), so such a dump is refused instead.
#pragma once

#include <string>

#include "dump.h"
#include "symbolize/module_resolver.h"

namespace leakscope::analyzer {

// Empty when `process` was recorded on this machine's architecture (common/machine.h), or when
// options.sysroot names where the recording machine's files are. Otherwise one line saying what
// the dump's and this machine's architectures are and that --sysroot is needed.
std::string ForeignMachineError(const ProcessInfo& process, const ResolverOptions& options);

}  // namespace leakscope::analyzer

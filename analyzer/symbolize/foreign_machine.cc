// SPDX-License-Identifier: Apache-2.0
#include "symbolize/foreign_machine.h"

#include "absl/strings/str_cat.h"
#include "machine.h"

namespace leakscope::analyzer {

std::string ForeignMachineError(const ProcessInfo& process, const ResolverOptions& options) {
  // With --sysroot, the files are the user's word for the recording machine's: each module is
  // still checked against its build-id there, as for a dump of this machine.
  if (process.machine == kThisMachine || !options.sysroot.empty()) return "";
  return absl::StrCat("the dump was recorded on ", MachineName(process.machine),
                      " and this machine is ", MachineName(kThisMachine),
                      ", whose files cannot name its code; give --sysroot DIR, a copy of the "
                      "recording machine's root (its program and libraries)");
}

}  // namespace leakscope::analyzer

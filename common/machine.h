// SPDX-License-Identifier: Apache-2.0
// Architectures, as dumps record them (format::ProcessMachine: the ELF e_machine value): the one
// place that knows which one this build is and what each is called, for the recorder that writes
// it and the analyzer that shows it and checks it against the files it symbolizes with.
#pragma once

#include <cstdint>
#include <string>

#include "dump_format.h"

namespace leakscope {

// The architecture this code was compiled for: what the recorder writes into every dump, and the
// architecture of the module files the analyzer finds on its own machine (no --sysroot).
#if defined(__x86_64__)
inline constexpr uint32_t kThisMachine = format::kMachineX86_64;
#elif defined(__aarch64__)
inline constexpr uint32_t kThisMachine = format::kMachineAarch64;
#else
#error "leakscope: no ELF machine value for this architecture (common/machine.h)"
#endif

// "x86-64", "aarch64", or "ELF machine N" for any other value (a dump from a later recorder).
inline std::string MachineName(uint32_t elf_machine) {
  switch (elf_machine) {
    case format::kMachineX86_64:
      return "x86-64";
    case format::kMachineAarch64:
      return "aarch64";
    default:
      return "ELF machine " + std::to_string(elf_machine);
  }
}

}  // namespace leakscope

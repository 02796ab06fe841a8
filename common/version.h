// SPDX-License-Identifier: Apache-2.0
// leakscope's version, the same in the recorder (written into every dump, and a string
// `strings libleakscope.so` finds) and the analyzer (`leakscope --version`). Its one source is
// the CMake project VERSION plus the git commit of the sources, generated at build time by
// cmake/version_source.cmake.
#pragma once

#include <cstddef>
#include <string_view>

namespace leakscope {

// "leakscope 0.1.0 (git abc1234)"; "leakscope 0.1.0" when built outside git; the commit has a
// "-dirty" suffix when tracked files differed from it.
extern const char kVersionLine[];

// The version without the program name: "0.1.0 (git abc1234)". What dumps record.
inline std::string_view VersionText() {
  constexpr size_t kProgram = sizeof("leakscope ") - 1;  // kVersionLine always starts so
  return std::string_view(kVersionLine + kProgram);
}

}  // namespace leakscope

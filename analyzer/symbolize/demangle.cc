// SPDX-License-Identifier: Apache-2.0
#include "symbolize/demangle.h"

#include <cxxabi.h>

#include <cstdlib>

namespace leakscope::analyzer {

std::string Demangle(std::string_view name) {
  if (!name.starts_with("_Z")) return std::string(name);
  std::string mangled(name);
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  if (status != 0 || demangled == nullptr) return mangled;
  std::string result(demangled);
  free(demangled);
  return result;
}

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
// C++ symbol demangling.
#pragma once

#include <string>
#include <string_view>

namespace leakscope::analyzer {

// Demangles an Itanium C++ ABI name ("_ZN3foo3barEi" -> "foo::bar(int)"); returns other names
// (C functions, already demangled names) unchanged.
std::string Demangle(std::string_view name);

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
// Debian's abseil is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0),
// which does not convert from std::string_view; this bridges the two without copying.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace leakscope::analyzer {

inline absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace leakscope::analyzer

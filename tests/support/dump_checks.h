// SPDX-License-Identifier: Apache-2.0
// Properties every dump the recorder writes must have, whatever the scenario.
#pragma once

#include <gtest/gtest.h>

#include "dump.h"

namespace leakscope::testing {

// Checks: version; unique site ids; depth == pcs.size() <= settings.depth; frees never exceed
// allocations; in exact mode (sample_bytes == 1) estimates equal exact bytes; every stream record
// names an existing site and has open <= opened; modules are non-empty, exactly one is the main
// executable, loaded ones do not overlap; memory and time fields are plausible (the
// recorder's resident overhead is non-zero once it recorded a site). With
// `native_only` (no JIT code in the process) every PC of every non-overflow site lies in a module.
::testing::AssertionResult DumpIsConsistent(const Dump& dump, bool native_only = true);

}  // namespace leakscope::testing

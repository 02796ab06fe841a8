// SPDX-License-Identifier: Apache-2.0
// The JDK natives that open and end zlib streams (java.util.zip.Inflater and Deflater: init and
// end), and the recorder's wrappers for them, which the JVMTI agent binds in their place
// (java_agent.h, NativeWrapper).
#pragma once

#include <span>

#include "java/java_agent.h"

namespace leakscope::recorder {

std::span<const java::NativeWrapper> JdkStreamNatives();

}  // namespace leakscope::recorder

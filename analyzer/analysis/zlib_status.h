// SPDX-License-Identifier: Apache-2.0
// Why a dump has (or lacks) zlib stream records. The recorder sees zlib only through calls that
// reach its hooks: a zlib built into another library (Temurin bundles it in libzip.so) never
// does, and the user must hear that stream attribution was unavailable and why, not just that
// no stream was open.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "dump.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

enum class ZlibStatus {
  kIntercepted,  // zlib calls reached the recorder: streams are attributed
  kBundled,      // zlib is built into another module: its calls cannot be intercepted
  kNoCalls,      // a zlib library is loaded, but no stream was opened
  kNotLoaded,    // no zlib in the process
};

struct ZlibFinding {
  ZlibStatus status = ZlibStatus::kNotLoaded;
  std::string module;  // the zlib library, or the module zlib is built into; may be empty
  // Streams were recorded by the recorder's wrappers of the JDK's Inflater/Deflater natives
  // (format::kJavaStreamNatives), which see a zlib bundled in libzip.so as well.
  bool via_jdk_natives = false;
};

// Decides from the interception counter, the kJava record's flags, the symbolized stacks of the
// dump's sites (zlib functions inside a module that is not libz are a bundled zlib) and the module
// list (a JDK's libzip.so without a libz.so beside it carries its own zlib).
ZlibFinding FindZlibStatus(const Dump& dump, std::span<const uint32_t> stacks,
                           const Symbolizer& symbolizer);

// "intercepted", "bundled", "no_calls", "not_loaded" (docs/json.md).
const char* ZlibStatusName(ZlibStatus status);

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
#include "analysis/zlib_status.h"

#include "symbolize/allocator_frames.h"
#include "symbolize/frame.h"

namespace leakscope::analyzer {

ZlibFinding FindZlibStatus(const Dump& dump, std::span<const uint32_t> stacks,
                           const Symbolizer& symbolizer) {
  ZlibFinding finding;
  std::string libz, libzip;
  for (const ModuleInfo& module : dump.modules) {
    std::string_view base = Basename(module.path);
    if (libz.empty() && base.starts_with("libz.so")) libz = module.path;
    if (libzip.empty() && base == "libzip.so") libzip = module.path;
  }
  if (dump.counters.zlib_calls > 0) {
    finding.status = ZlibStatus::kIntercepted;
    finding.via_jdk_natives = (dump.java.flags & format::kJavaStreamNatives) != 0;
    // Through the JDK's natives with no libz.so loaded: the zlib is the one inside libzip.so.
    finding.module = libz.empty() && finding.via_jdk_natives ? libzip : libz;
    return finding;
  }
  for (uint32_t stack : stacks) {
    for (uint32_t id : symbolizer.stacks().Get(stack)) {
      const Frame& frame = symbolizer.frames().Get(id);
      std::string_view base = Basename(frame.module);
      if (IsZlibFunction(frame.function) && !base.starts_with("libz.so") &&
          !base.starts_with("libleakscope")) {
        finding.status = ZlibStatus::kBundled;
        finding.module = frame.module;
        return finding;
      }
    }
  }
  if (!libz.empty()) {
    finding.status = ZlibStatus::kNoCalls;
    finding.module = libz;
  } else if (!libzip.empty()) {
    // The JDK's libzip.so links libz.so unless it carries zlib itself.
    finding.status = ZlibStatus::kBundled;
    finding.module = libzip;
  }
  return finding;
}

const char* ZlibStatusName(ZlibStatus status) {
  switch (status) {
    case ZlibStatus::kIntercepted:
      return "intercepted";
    case ZlibStatus::kBundled:
      return "bundled";
    case ZlibStatus::kNoCalls:
      return "no_calls";
    case ZlibStatus::kNotLoaded:
      return "not_loaded";
  }
  return "unknown";
}

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
// Java frames: naming the (method id, bci) pairs the recorder's JVMTI agent appends to a site's
// PCs from the dump's kJavaMethod records (docs/dump-format.md, "Java frames in sites").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "dump.h"
#include "symbolize/frame.h"

namespace leakscope::analyzer {

// "Ljava/util/zip/Inflater;" -> "java.util.zip.Inflater". A hidden class's address suffix is
// dropped: "LJob$$Lambda$2.0x00007feb48001a60;" -> "Job$$Lambda$2". Anything not of the form
// L...; (an array class) keeps its text with '/' turned into '.'.
std::string JavaClassName(std::string_view class_signature);

// The source line of `bci` from a line table of (start bci, line) pairs ascending by bci: the
// line of the last entry whose start is at most bci. 0 when bci < 0 or no entry applies.
uint32_t JavaLineAt(std::span<const std::pair<uint32_t, uint32_t>> lines, int32_t bci);

// The frame of one Java frame. `method` is the dump's record of the frame's method id, or null
// when the dump has none; an unresolved record (class unloaded before it was named) counts as
// none. Unnamed methods keep their id in Frame::address, so distinct ones stay distinct.
Frame MakeJavaFrame(const JavaMethodRecord* method, uint64_t method_id, int32_t bci);

// The name of kJava's walks[index] (format::JavaFixed): "frames" for [0], else the reason
// AsyncGetCallTrace gave no frames, e.g. "gc_active" for [3]; used as JSON keys and in text.
const char* JavaWalkName(size_t index);
inline constexpr size_t kJavaWalkKinds = 12;

}  // namespace leakscope::analyzer

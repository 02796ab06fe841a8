// SPDX-License-Identifier: Apache-2.0
// Which frames belong to the allocation machinery rather than to the code that allocates: the
// recorder itself, the malloc family, operator new, zlib (streams allocate through zcalloc),
// HotSpot's os::malloc wrappers and the C++ standard library's allocators, containers and
// strings (std_library_frames.h). The first frame that is none of these is the allocating caller.
#pragma once

#include <string_view>

namespace leakscope::analyzer {

// `module` is the module path (may be empty), `function` the demangled name (may be empty).
bool IsAllocatorFrame(std::string_view module, std::string_view function);

// A zlib function, exported or internal (`inflate`, `updatewindow`, `zcalloc`, ...).
bool IsZlibFunction(std::string_view function);

}  // namespace leakscope::analyzer

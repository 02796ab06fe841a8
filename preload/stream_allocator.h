// SPDX-License-Identifier: Apache-2.0
// The recorder's zalloc/zfree for a zlib stream, with opaque pointing at the stream: every byte
// zlib allocates for the stream from then on (the inflate window, allocated inside inflate()) is
// recorded exactly against the stack that opened it (AllocateForStream in recorder.h).
//
// Two ways a stream gets it: hooks_zlib.cc installs it before a system zlib's init, when the
// caller left zlib's defaults (zalloc, zfree and opaque all null); hooks_jdk_zlib.cc swaps it in
// right after the init of a JDK Inflater/Deflater whose zlib the hooks cannot see. Our zfree then
// also frees what zlib's own allocator (malloc) allocated during that init.
#pragma once

#include <zlib.h>

namespace leakscope::recorder {

// Our allocator, for this stream.
void InstallStreamAllocator(z_streamp stream);

// zlib's defaults: what the caller gave when it left the choice to zlib.
void RemoveStreamAllocator(z_streamp stream);

// True when the stream already runs on our allocator (an earlier init of the same struct).
bool HasStreamAllocator(z_streamp stream);

}  // namespace leakscope::recorder

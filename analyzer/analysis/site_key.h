// SPDX-License-Identifier: Apache-2.0
// The site key of `leakscope export`: a name for a symbolized stack that is the same in every run
// and on every machine for the same frames, so that rows exported from different executors,
// days or clusters can be grouped by site in SQL (docs/json.md, "export").
//
// The key is the 64-bit FNV-1a hash (offset basis 0xcbf29ce484222325, prime 0x100000001b3) of
// the stack's canonical text, written as 16 lowercase hex digits. The canonical text is one
// line per frame, innermost first, each "kind\tmodule\tfunction\taddress\tfile\tline\tinlined\n":
// kind "native" or "java", the module's base name (paths differ between machines, base names do
// not), the function, the frame's address in hex without 0x (0 when the frame is named), the
// source file's base name, the line in decimal, and 1 or 0. What a frame is made of is
// Frame's (symbolize/frame.h): a frame named differently (another build, other debug info) is
// another frame, so the key changes with it, as it should.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "symbolize/frame.h"

namespace leakscope::analyzer {

// Appends the canonical text of `frame` (one line, as above) to *out.
void AppendFrameKeyText(const Frame& frame, std::string* out);

// The key of `stack` (frame ids of `frames`, innermost first).
uint64_t SiteKey(const FrameTable& frames, std::span<const uint32_t> stack);

// `key` as 16 lowercase hex digits.
std::string SiteKeyHex(uint64_t key);

}  // namespace leakscope::analyzer

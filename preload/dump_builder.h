// SPDX-License-Identifier: Apache-2.0
// Turns the recorder's tables into dump records, streaming them into an encoder (no copy of the
// tables is made). What is live per site comes from one scan of the live table; cumulative
// allocations from the site counters, read after the scan, and frees are the difference. Other
// threads keep allocating meanwhile: a dump is a consistent-enough snapshot, never negative.
// The same scan gives each site the ages of its live samples, against the recorder clock read
// when the dump starts (core/age_summary.h).
#pragma once

#include <cstdint>

#include "dump.h"
#include "thread_state.h"

namespace leakscope::recorder {

// Encodes a complete dump (Begin ... Finish), with a kLabel record when `label` is not empty
// (the cleaned first line of the trigger that requested it). Returns false if writing failed.
bool EncodeDump(const ReentrancyGuard& guard, uint64_t seq, const char* label,
                DumpEncoder* encoder);

}  // namespace leakscope::recorder

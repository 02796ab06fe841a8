// SPDX-License-Identifier: Apache-2.0
// dump_memory: prints, one `key=value` per line, the fields of a dump that scripts/bench needs:
// the recorder's own memory (MemoryFixed), its counters and the live totals over all sites.
// A bench helper, not a user tool: `leakscope report` is the way to read a dump.
//
// Usage: dump_memory DUMP
// Exit status 1 when the dump cannot be read (the reason goes to stderr).

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

#include "dump.h"

namespace {

void Print(const char* key, uint64_t value) { printf("%s=%" PRIu64 "\n", key, value); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dump_memory DUMP\n");
    return 2;
  }
  leakscope::Dump dump;
  std::string error;
  if (!leakscope::ReadDumpFile(argv[1], &dump, &error)) {
    fprintf(stderr, "dump_memory: %s\n", error.c_str());
    return 1;
  }
  uint64_t live_count = 0;
  uint64_t live_bytes = 0;
  for (const leakscope::SiteInfo& site : dump.sites) {
    live_count += site.live_count();
    live_bytes += site.live_bytes();
  }
  const leakscope::format::MemoryFixed& memory = dump.memory;
  const leakscope::format::CountersFixed& counters = dump.counters;
  Print("self_reserved_bytes", memory.self_reserved_bytes);
  Print("self_resident_bytes", memory.self_resident_bytes);
  Print("rss_bytes", memory.rss_bytes);
  Print("rss_peak_bytes", memory.rss_peak_bytes);
  Print("sample_bytes", dump.settings.sample_bytes);
  Print("max_live", dump.settings.max_live);
  Print("sites", dump.sites.size());
  Print("live_count", live_count);
  Print("live_bytes", live_bytes);
  Print("sampled_allocs", counters.sampled_allocs);
  Print("dropped_live_full", counters.dropped_live_full);
  Print("dropped_stack_full", counters.dropped_stack_full);
  Print("unwind_failures", counters.unwind_failures);
  return 0;
}

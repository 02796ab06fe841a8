// SPDX-License-Identifier: Apache-2.0
// Writes the checked-in golden dumps (tests/analyzer/golden/*.dump) deterministically.
//
// Two processes of the same program, whose modules point to paths that do not exist, so frames
// print as module+0xoffset on every machine. Process 4242 (exact sampling, 6 dumps a minute
// apart) has a site leaking 1 MiB per dump, a churning site, a stable one, one that grew once,
// a zlib stream site, a JIT frame, the overflow site and a freed-only site. Process 5151
// (default sampling, 4 dumps) leaks at the same site at half the rate and intercepted no zlib
// call.
//
// Usage: make_golden_dumps OUTDIR
#include <cstdio>
#include <string>
#include <vector>

#include "dump.h"
#include "test_dump_builder.h"

namespace leakscope {
namespace {

using testing::AddSite;

constexpr uint64_t kMiB = 1 << 20;

struct Layout {
  uint64_t app, recorder, zlib, libc;  // load addresses (= bias)
};

Dump MakeDump(int64_t pid, uint64_t instance, uint64_t seq, const Layout& at, bool exact) {
  Dump dump = testing::ProcessDump(pid, instance, seq, 5'000'000'000'000);
  // Format version 1, as these files were first written: they keep the analyzer's reading of
  // dumps without ages covered (their sites have none, and the outputs say so).
  dump.version = 1;
  dump.process.executable = "/opt/golden/bin/app";
  dump.process.args = {"/opt/golden/bin/app", "--batches", "100"};
  dump.settings.sample_bytes = exact ? 1 : 131072;
  dump.settings.flags = format::kSettingFollowChildren;

  testing::AddModule(&dump, "/opt/golden/bin/app", at.app, 0x100000, 0x11, format::kModuleMain);
  testing::AddModule(&dump, "/opt/golden/lib/libleakscope.so", at.recorder, 0x80000, 0x22, 0);
  testing::AddModule(&dump, "/opt/golden/lib/libz.so.1", at.zlib, 0x20000, 0x33, 0);
  testing::AddModule(&dump, "/opt/golden/lib/libc.so.6", at.libc, 0x200000, 0x44, 0);

  const uint64_t hook = at.recorder + 0x1234;
  const uint64_t main_pc = at.app + 0x3300;
  const double est = exact ? 1.0 : 1.25;
  const uint64_t s = seq;
  if (exact) {
    // 1 MiB more per dump, 16 blocks of 64 KiB.
    AddSite(&dump, 1, {hook, at.app + 0x1100, at.app + 0x2200, main_pc},
            {16 * (s + 1), kMiB * (s + 1), 0, 0}, est, est);
    // Up and down: 2 MiB live after even dumps, 512 KiB after odd ones.
    uint64_t churn_alloc = 100 * (s + 1) * 65536;
    uint64_t churn_live = s % 2 == 0 ? 2 * kMiB : kMiB / 2;
    AddSite(
        &dump, 2, {hook, at.app + 0x1500, main_pc},
        {100 * (s + 1), churn_alloc, 100 * (s + 1) - churn_live / 65536, churn_alloc - churn_live},
        est, est);
    // Stable 4 MiB.
    AddSite(&dump, 3, {hook, at.libc + 0x9a000, at.app + 0x1900, main_pc}, {4, 4 * kMiB, 0, 0}, est,
            est);
    // Grew once, at the second dump.
    if (seq > 0) AddSite(&dump, 4, {hook, at.app + 0x1a00, main_pc}, {3, 3 * kMiB, 0, 0}, est, est);
    // zlib stream site: inflate state and window, 39,408 bytes per open stream.
    AddSite(&dump, 5, {hook, at.zlib + 0x500, at.zlib + 0x2100, at.app + 0x4400, main_pc},
            {2 * (s + 1), 39'408 * (s + 1), 0, 0}, est, est);
    dump.streams.push_back(format::StreamsFixed{5, uint32_t(format::StreamKind::kInflate), s + 1,
                                                39'408 * (s + 1), 2 * (s + 1)});
    dump.streams.push_back(
        format::StreamsFixed{5, uint32_t(format::StreamKind::kDeflate), 1, 268'096, 1});
    // Through JIT code (an address in no module).
    AddSite(&dump, 6, {hook, 0x10001234, 0x10005678, main_pc}, {s, 4096 * s, 0, 0}, est, est);
    // Overflow site and a site whose memory was all freed.
    AddSite(&dump, 0, {}, {7, 7 * 1000, 2, 2 * 1000}, est, est);
    AddSite(&dump, 7, {hook, at.app + 0x1c00, main_pc}, {10, 10 * 4096, 10, 10 * 4096}, est, est);
  } else {
    // The same leak at half the rate, sampled: 8 samples of 64 KiB per dump.
    AddSite(&dump, 9, {hook, at.app + 0x1100, at.app + 0x2200, main_pc},
            {8 * (s + 1), kMiB / 2 * (s + 1), 0, 0}, est, est);
    AddSite(&dump, 10, {hook, at.app + 0x1500, main_pc},
            {50 * (s + 1), 50 * (s + 1) * 65536, 50 * (s + 1) - (s % 2 == 0 ? 4 : 1),
             50 * (s + 1) * 65536 - (s % 2 == 0 ? 4 : 1) * 65536},
            est, est);
  }

  dump.memory.rss_bytes = 512 * kMiB + s * kMiB;
  dump.memory.rss_peak_bytes = 600 * kMiB;
  dump.memory.vm_bytes = 4096 * kMiB;
  dump.memory.malloc_arena_bytes = 192 * kMiB;
  dump.memory.malloc_mmap_bytes = 16 * kMiB + s * kMiB;
  dump.memory.malloc_in_use_bytes = 40 * kMiB + s * kMiB;
  dump.memory.malloc_free_bytes = 168 * kMiB;
  dump.memory.malloc_arena_count = 3;
  dump.memory.self_reserved_bytes = 64 * kMiB;
  dump.memory.self_resident_bytes = 6 * kMiB;
  dump.counters.sampled_allocs = 1000 * (s + 1);
  dump.counters.zlib_calls = exact ? 10 * (s + 1) : 0;
  dump.counters.dropped_stack_full = exact ? 7 : 0;
  return dump;
}

}  // namespace
}  // namespace leakscope

int main(int argc, char** argv) {
  using leakscope::Layout;
  using leakscope::MakeDump;
  using leakscope::testing::WriteDumpInto;
  const Layout a{0x555555554000, 0x7f0000000000, 0x7f0000100000, 0x7f0000200000};
  const Layout b{0x563412340000, 0x7f1100000000, 0x7f1100100000, 0x7f1100200000};
  if (argc == 3 && std::string(argv[1]) == "--labelled") {
    // Not checked in: process 4242's series with dumps 2 and 4 labelled, for the HTML test of
    // labels on the time axis (tests/analyzer/html/chromium_test.sh).
    for (uint64_t seq = 0; seq < 6; ++seq) {
      leakscope::Dump dump = MakeDump(4242, 0x00c0ffee00000001, seq, a, true);
      if (seq == 2 || seq == 4) dump.label = "batch " + std::to_string(seq);
      if (WriteDumpInto(argv[2], dump).empty()) return 1;
    }
    return 0;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: make_golden_dumps OUTDIR | --labelled OUTDIR\n");
    return 2;
  }
  std::string dir = argv[1];
  for (uint64_t seq = 0; seq < 6; ++seq) {
    if (WriteDumpInto(dir, MakeDump(4242, 0x00c0ffee00000001, seq, a, true)).empty()) return 1;
  }
  for (uint64_t seq = 0; seq < 4; ++seq) {
    if (WriteDumpInto(dir, MakeDump(5151, 0x00c0ffee00000002, seq, b, false)).empty()) return 1;
  }
  return 0;
}

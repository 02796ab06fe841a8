// Hand-made dumps shared by the format unit tests and the fuzzer's seed generator: one with every
// record type and the awkward cases (empty strings, a module without build-id, sites of depth 0
// and 64), and the smallest valid one.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "dump.h"

namespace leakscope::samples {

inline Dump RichSampleDump() {
  Dump dump;
  dump.process.fixed = {.pid = 4242,
                        .ppid = 1,
                        .seq = 3,
                        .instance_id = 0x0123456789abcdefULL,
                        .time_unix_ns = 1732700000123456789LL,
                        .time_monotonic_ns = 987654321,
                        .start_unix_ns = 1732699000000000000LL};
  dump.process.host = "worker-7.example";
  dump.process.executable = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
  dump.process.args = {"java", "-Xmx2g", "", "-Dname=with spaces in it", "com.example.Main", ""};

  dump.settings = {.sample_bytes = 131072,
                   .max_stacks = 65536,
                   .max_live = 262144,
                   .max_streams = 65536,
                   .interval_ns = 60'000'000'000ULL,
                   .depth = 64,
                   .flags = format::kSettingFollowChildren};

  ModuleInfo& exe = dump.modules.emplace_back();
  exe.fixed = {.start = 0x555555554000,
               .end = 0x555555556000,
               .bias = 0x555555554000,
               .flags = format::kModuleMain,
               .reserved = 0};
  exe.path = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
  exe.build_id = std::string(
      "\x8a\x00\x13\xff\x42\x00\x00\x7e\x01\x02\x03\x04\x05\x06\x07\x08"
      "\x09\x0a\x0b\x0c",
      20);
  ModuleInfo& libz = dump.modules.emplace_back();
  libz.fixed = {.start = 0x7ffff7a00000,
                .end = 0x7ffff7a1c000,
                .bias = 0x7ffff7a00000,
                .flags = 0,
                .reserved = 0};
  libz.path = "/usr/lib/x86_64-linux-gnu/libz.so.1";  // Stripped of its build-id: empty.
  ModuleInfo& gone = dump.modules.emplace_back();
  gone.fixed = {.start = 0x7ffff7c00000,
                .end = 0x7ffff7c08000,
                .bias = 0x7ffff7c00000,
                .flags = format::kModuleUnloaded,
                .reserved = 0};
  gone.path = "";
  gone.build_id = "\x01\x02\x03\x04";

  SiteInfo& overflow = dump.sites.emplace_back();
  overflow.fixed = {.site_id = format::kOverflowSiteId,
                    .depth = 0,
                    .alloc_count = 5,
                    .alloc_bytes = 5000,
                    .alloc_est_bytes = 655360,
                    .free_count = 1,
                    .free_bytes = 1000,
                    .free_est_bytes = 131072,
                    .alloc_est_count = 640,
                    .free_est_count = 128};
  SiteInfo& one = dump.sites.emplace_back();
  one.fixed = {.site_id = 1,
               .depth = 3,
               .alloc_count = 100,
               .alloc_bytes = 3276800,
               .alloc_est_bytes = 3276800,
               .free_count = 40,
               .free_bytes = 1310720,
               .free_est_bytes = 1310720,
               .alloc_est_count = 100,
               .free_est_count = 40};
  one.pcs = {0x7ffff7a05123, 0x7ffff7a0a456, 0x555555554789};
  SiteInfo& deep = dump.sites.emplace_back();
  deep.fixed = {.site_id = 77,
                .depth = 64,
                .alloc_count = UINT64_MAX,
                .alloc_bytes = 1,
                .alloc_est_bytes = 2,
                .free_count = 0,
                .free_bytes = 0,
                .free_est_bytes = 0,
                .alloc_est_count = UINT64_MAX,
                .free_est_count = 0};
  for (uint64_t i = 0; i < 64; ++i) deep.pcs.push_back(0x7f0000000000ULL + i * 0x1010);

  dump.streams.push_back({.site_id = 1,
                          .kind = static_cast<uint32_t>(format::StreamKind::kInflate),
                          .open_count = 20000,
                          .open_bytes = 20000ULL * 39392,
                          .opened_total = 20500});
  dump.streams.push_back({.site_id = 77,
                          .kind = static_cast<uint32_t>(format::StreamKind::kDeflate),
                          .open_count = 3,
                          .open_bytes = 0,
                          .opened_total = 3});

  dump.memory = {.rss_bytes = 2ULL << 30,
                 .rss_peak_bytes = 3ULL << 30,
                 .vm_bytes = 9ULL << 30,
                 .malloc_arena_bytes = 512ULL << 20,
                 .malloc_mmap_bytes = 64ULL << 20,
                 .malloc_in_use_bytes = 400ULL << 20,
                 .malloc_free_bytes = 176ULL << 20,
                 .malloc_arena_count = 17,
                 .self_reserved_bytes = 96ULL << 20,
                 .self_resident_bytes = 12ULL << 20};
  dump.counters = {.sampled_allocs = 123456,
                   .dropped_live_full = 1,
                   .dropped_stack_full = 5,
                   .unwind_failures = 2,
                   .zlib_calls = 41000,
                   .dropped_streams_full = 0,
                   .zlib_missing_real = 0,
                   .truncated_walks = 0};
  return dump;
}

// Only what a reader requires: the process record (with no strings) and, via WriteDump, the
// zero-valued settings, memory and counters.
inline Dump MinimalSampleDump() {
  Dump dump;
  dump.process.fixed.pid = 1;
  return dump;
}

// True when two dumps hold the same values. The fixed structs have no padding (their sizes are
// static_asserted to the sum of their fields), so comparing their bytes compares every field.
template <typename Fixed>
bool SameFixed(const Fixed& a, const Fixed& b) {
  return std::memcmp(&a, &b, sizeof(Fixed)) == 0;
}

inline bool SameDump(const Dump& a, const Dump& b) {
  if (a.version != b.version || !SameFixed(a.process.fixed, b.process.fixed) ||
      a.process.host != b.process.host || a.process.executable != b.process.executable ||
      a.process.args != b.process.args || !SameFixed(a.settings, b.settings) ||
      !SameFixed(a.memory, b.memory) || !SameFixed(a.counters, b.counters) ||
      !SameFixed(a.allocator.fixed, b.allocator.fixed) || a.allocator.path != b.allocator.path ||
      a.recorder_version != b.recorder_version || a.modules.size() != b.modules.size() ||
      a.sites.size() != b.sites.size() || a.streams.size() != b.streams.size()) {
    return false;
  }
  for (size_t i = 0; i < a.modules.size(); ++i) {
    if (!SameFixed(a.modules[i].fixed, b.modules[i].fixed) ||
        a.modules[i].path != b.modules[i].path || a.modules[i].build_id != b.modules[i].build_id) {
      return false;
    }
  }
  for (size_t i = 0; i < a.sites.size(); ++i) {
    if (!SameFixed(a.sites[i].fixed, b.sites[i].fixed) || a.sites[i].pcs != b.sites[i].pcs) {
      return false;
    }
  }
  for (size_t i = 0; i < a.streams.size(); ++i) {
    if (!SameFixed(a.streams[i], b.streams[i])) return false;
  }
  return true;
}

}  // namespace leakscope::samples

// SPDX-License-Identifier: Apache-2.0
// The one way tests build dumps by hand: a process with the recorder's settings, modules, sites,
// writing the dump where a recorder would, and two fixed sample dumps. Used by the golden-dump
// generators (make_golden_dumps, make_java_golden_dumps: their output must stay byte-identical,
// analyzer_golden_*_reproducible), the format unit tests, the fuzzer's seeds and the analyzer's
// unit tests. Header-only and free of GoogleTest: the generators and the fuzzer use it too.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dump.h"

namespace leakscope::testing {

// A dump of process `pid` with its process and settings records filled in: ppid 1, host
// golden-host, started pid seconds after 1.7e18 ns, dump `seq` written 10 s after the start and a
// minute after the one before (monotonic clock from `monotonic_start_ns`), the recorder's default
// limits and depth. Executable, arguments, sample_bytes and flags are the caller's.
inline Dump ProcessDump(int64_t pid, uint64_t instance, uint64_t seq, int64_t monotonic_start_ns) {
  Dump dump;
  dump.process.fixed.pid = pid;
  dump.process.fixed.ppid = 1;
  dump.process.fixed.seq = seq;
  dump.process.fixed.instance_id = instance;
  dump.process.fixed.start_unix_ns = 1'700'000'000'000'000'000 + pid * 1'000'000'000;
  dump.process.fixed.time_unix_ns =
      dump.process.fixed.start_unix_ns + 10'000'000'000 + int64_t(seq) * 60'000'000'000;
  dump.process.fixed.time_monotonic_ns = monotonic_start_ns + int64_t(seq) * 60'000'000'000;
  dump.process.host = "golden-host";
  dump.settings.max_stacks = 65536;
  dump.settings.max_live = 262144;
  dump.settings.max_streams = 65536;
  dump.settings.interval_ns = 60'000'000'000;
  dump.settings.depth = 64;
  return dump;
}

// A module loaded at `base` (= bias). Its build-id is 20 bytes of `id`, or none when id is 0.
inline void AddModule(Dump* dump, const char* path, uint64_t base, uint64_t size, uint8_t id,
                      uint32_t flags = 0) {
  ModuleInfo module;
  module.fixed.start = base;
  module.fixed.end = base + size;
  module.fixed.bias = base;
  module.fixed.flags = flags;
  module.path = path;
  if (id != 0) module.build_id.assign(20, static_cast<char>(id));
  dump->modules.push_back(module);
}

// What a site's samples add up to: the counts and bytes the recorder saw.
struct SiteSamples {
  uint64_t alloc_count = 0;
  uint64_t alloc_bytes = 0;
  uint64_t free_count = 0;
  uint64_t free_bytes = 0;
};

// Appends a site with stack `pcs` (innermost first). Its estimates are the sampled values times
// `bytes_factor` (bytes) and `count_factor` (counts), truncated as the recorder's weights are: a
// sampled recorder's sample stands for more than one allocation, an exact one (1, 1) for itself.
inline SiteInfo& AddSite(Dump* dump, uint32_t id, std::vector<uint64_t> pcs,
                         const SiteSamples& samples, double bytes_factor = 1.0,
                         double count_factor = 1.0) {
  SiteInfo& site = dump->sites.emplace_back();
  site.fixed.site_id = id;
  site.fixed.depth = static_cast<uint32_t>(pcs.size());
  site.fixed.alloc_count = samples.alloc_count;
  site.fixed.alloc_bytes = samples.alloc_bytes;
  site.fixed.alloc_est_bytes = static_cast<uint64_t>(samples.alloc_bytes * bytes_factor);
  site.fixed.free_count = samples.free_count;
  site.fixed.free_bytes = samples.free_bytes;
  site.fixed.free_est_bytes = static_cast<uint64_t>(samples.free_bytes * bytes_factor);
  site.fixed.alloc_est_count = static_cast<uint64_t>(samples.alloc_count * count_factor);
  site.fixed.free_est_count = static_cast<uint64_t>(samples.free_count * count_factor);
  site.pcs = std::move(pcs);
  return site;
}

// The name the recorder gives dump `seq` of process `pid`.
inline std::string DumpFileName(int64_t pid, uint64_t seq) {
  return "leakscope." + std::to_string(pid) + "." + std::to_string(seq) + ".dump";
}

// Writes `dump` to <dir>/leakscope.<pid>.<seq>.dump and returns that path; "" on any error.
inline std::string WriteDumpInto(const std::string& dir, const Dump& dump) {
  StringSink sink;
  if (!WriteDump(dump, &sink)) return "";
  std::string path = dir + "/" + DumpFileName(dump.process.fixed.pid, dump.process.fixed.seq);
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return "";
  bool ok = fwrite(sink.bytes().data(), 1, sink.bytes().size(), f) == sink.bytes().size();
  return fclose(f) == 0 && ok ? path : "";
}

// Two fixed dumps for the format tests and the fuzzer's seed corpus: one with every record type
// and the awkward cases (empty strings, a module without build-id, sites of depth 0 and 64), and
// the smallest valid one.

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
  one.ages = {.median_age_s = 190,
              .oldest_age_s = 7200,
              .older_than_est_bytes = {1500000, 900000, 32768, 0}};
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
      a.process.args != b.process.args || a.process.machine_known != b.process.machine_known ||
      a.process.machine != b.process.machine || !SameFixed(a.settings, b.settings) ||
      !SameFixed(a.memory, b.memory) || !SameFixed(a.counters, b.counters) ||
      !SameFixed(a.allocator.fixed, b.allocator.fixed) || a.allocator.path != b.allocator.path ||
      a.recorder_version != b.recorder_version || a.modules.size() != b.modules.size() ||
      a.sites.size() != b.sites.size() || a.streams.size() != b.streams.size()) {
    return false;
  }
  for (size_t i = 0; i < a.modules.size(); ++i) {
    if (!SameFixed(a.modules[i].fixed, b.modules[i].fixed) ||
        a.modules[i].path != b.modules[i].path || a.modules[i].build_id != b.modules[i].build_id ||
        a.modules[i].epochs_known != b.modules[i].epochs_known ||
        (a.modules[i].epochs_known && !SameFixed(a.modules[i].epochs, b.modules[i].epochs))) {
      return false;
    }
  }
  for (size_t i = 0; i < a.sites.size(); ++i) {
    if (!SameFixed(a.sites[i].fixed, b.sites[i].fixed) ||
        !SameFixed(a.sites[i].ages, b.sites[i].ages) || a.sites[i].pcs != b.sites[i].pcs ||
        a.sites[i].epoch_known != b.sites[i].epoch_known ||
        (a.sites[i].epoch_known && a.sites[i].epoch != b.sites[i].epoch)) {
      return false;
    }
  }
  for (size_t i = 0; i < a.streams.size(); ++i) {
    if (!SameFixed(a.streams[i], b.streams[i])) return false;
  }
  return true;
}

}  // namespace leakscope::testing

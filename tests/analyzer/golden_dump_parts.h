// What the generators of the checked-in golden dumps (make_golden_dumps, make_java_golden_dumps)
// share: the process and settings records every golden process has, its modules, and writing a
// dump where a recorder would. The dumps must stay byte-identical (analyzer_golden_*_reproducible).
#pragma once

#include <cstdio>
#include <string>

#include "dump.h"

namespace leakscope::golden {

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

// A module loaded at `base` (= bias) whose build-id is 20 bytes of `id`.
inline void AddModule(Dump* dump, const char* path, uint64_t base, uint64_t size, uint8_t id,
                      uint32_t flags = 0) {
  ModuleInfo module;
  module.fixed.start = base;
  module.fixed.end = base + size;
  module.fixed.bias = base;
  module.fixed.flags = flags;
  module.path = path;
  module.build_id.assign(20, static_cast<char>(id));
  dump->modules.push_back(module);
}

// Writes `dump` to <dir>/leakscope.<pid>.<seq>.dump; false on any error.
inline bool WriteDumpInto(const std::string& dir, const Dump& dump) {
  StringSink sink;
  if (!WriteDump(dump, &sink)) return false;
  std::string path = dir + "/leakscope." + std::to_string(dump.process.fixed.pid) + "." +
                     std::to_string(dump.process.fixed.seq) + ".dump";
  FILE* f = fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = fwrite(sink.bytes().data(), 1, sink.bytes().size(), f) == sink.bytes().size();
  return fclose(f) == 0 && ok;
}

}  // namespace leakscope::golden

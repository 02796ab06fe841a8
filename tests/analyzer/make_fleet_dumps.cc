// SPDX-License-Identifier: Apache-2.0
// Writes a synthetic fleet of JVM executors for measuring `trend` and `export` over many
// processes:
//   make_fleet_dumps OUTDIR PROCESSES DUMPS SITES
// PROCESSES executors (pids 10001...), each in OUTDIR/executor-N/ as a container's log directory
// would hold it, with DUMPS dumps 5 minutes apart of SITES sites each.
//
// The stacks are shaped as a JVM's are, and shared by every executor as one job's code is:
// the recorder's hook, os::malloc-like frames in libjvm, 1 to 4 more native frames in libjvm,
// libzip, libnio or libjava, an interpreter or JIT frame (in no module), then 6 to 13 Java frames
// from a pool of 1,500 methods (kJavaMethod records name them in every dump). Each executor maps
// the modules at its own addresses (ASLR), so matching sites across executors goes through
// symbolization. The modules do not exist on disk: symbolization takes its cheap path.
//
// Growth: site 0 mod 100 leaks (one 4 KiB sample per dump) in every fourth executor and holds
// still in the others; the rest churn around a random level. Sampled at 128 KiB, as production.
// The command line is a Spark executor's on YARN, so `--executor-id` labels each process.
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dump.h"

namespace leakscope {
namespace {

constexpr int kMethods = 1500;
constexpr uint64_t kMethodBase = 0x7f5500100000;  // jmethodIDs: 8-byte aligned

struct ModuleSpec {
  const char* path;
  uint64_t size;
};
// libleakscope, libjvm, libc, libzip, libnio, libjava.
constexpr ModuleSpec kModules[] = {
    {"/nonexistent/fleet/lib/libleakscope.so", 0x100000},
    {"/nonexistent/fleet/jdk/lib/server/libjvm.so", 0x1000000},
    {"/nonexistent/fleet/lib/x86_64-linux-gnu/libc.so.6", 0x200000},
    {"/nonexistent/fleet/jdk/lib/libzip.so", 0x100000},
    {"/nonexistent/fleet/jdk/lib/libnio.so", 0x100000},
    {"/nonexistent/fleet/jdk/lib/libjava.so", 0x100000},
};
constexpr int kModuleCount = sizeof(kModules) / sizeof(kModules[0]);

// A frame as (module, offset) or, for module -1, an address in no module (JVM code).
struct Pc {
  int module;
  uint64_t offset;
};

struct Stack {
  std::vector<Pc> native;
  std::vector<uint64_t> java;  // encoded Java frames, innermost first
};

std::vector<Stack> MakeStacks(int sites, std::mt19937_64* rng) {
  std::vector<Stack> stacks(sites);
  for (int s = 0; s < sites; ++s) {
    Stack& st = stacks[s];
    st.native.push_back({0, 0x1000 + ((*rng)() % 4) * 0x40});    // the recorder's hook
    st.native.push_back({1, 0x200000 + ((*rng)() % 2) * 0x80});  // os::malloc
    int more = 1 + static_cast<int>((*rng)() % 4);
    for (int i = 0; i < more; ++i) {
      int module = std::array<int, 4>{1, 3, 4, 5}[(*rng)() % 4];
      st.native.push_back({module, 0x10000 + ((*rng)() % 3000) * 0x20});
    }
    st.native.push_back({-1, 0x1000 + ((*rng)() % 50) * 0x100});  // interpreter or JIT code
    int java = 6 + static_cast<int>((*rng)() % 8);
    // A distinct innermost method and bci per site, then frames from the pool: 2,000 sites
    // share their outer frames (Thread.run, the task runner, the job's own classes).
    st.java.push_back(format::EncodeJavaFrame(kMethodBase + 8 * (s % kMethods), s / kMethods));
    for (int i = 1; i < java; ++i) {
      int method = i == java - 1 ? 0 : static_cast<int>((*rng)() % kMethods);
      st.java.push_back(format::EncodeJavaFrame(kMethodBase + 8 * method, (*rng)() % 200));
    }
  }
  return stacks;
}

void AddMethods(Dump* dump) {
  for (int m = 0; m < kMethods; ++m) {
    JavaMethodRecord method;
    method.fixed.method_id = kMethodBase + 8 * m;
    method.fixed.flags = format::kJavaMethodResolved;
    method.class_signature = "Lorg/example/fleet/Stage" + std::to_string(m / 10) + ";";
    method.name = "step" + std::to_string(m % 10);
    method.signature = "(Ljava/lang/Object;)V";
    method.source_file = "Stage" + std::to_string(m / 10) + ".java";
    method.lines = {{0, 10 + uint32_t(m % 10) * 20}, {100, 20 + uint32_t(m % 10) * 20}};
    method.fixed.line_count = static_cast<uint32_t>(method.lines.size());
    dump->java_methods.push_back(std::move(method));
  }
}

}  // namespace
}  // namespace leakscope

int main(int argc, char** argv) {
  using namespace leakscope;
  if (argc != 5) {
    fprintf(stderr, "usage: make_fleet_dumps OUTDIR PROCESSES DUMPS SITES\n");
    return 2;
  }
  std::string dir = argv[1];
  int processes = atoi(argv[2]);
  int dumps = atoi(argv[3]);
  int sites = atoi(argv[4]);
  if (processes < 1 || dumps < 1 || sites < 1) {
    fprintf(stderr, "make_fleet_dumps: PROCESSES, DUMPS and SITES must be positive\n");
    return 2;
  }
  std::mt19937_64 rng(1);
  std::vector<Stack> stacks = MakeStacks(sites, &rng);

  for (int p = 0; p < processes; ++p) {
    const int64_t pid = 10001 + p;
    const uint64_t aslr = uint64_t(p) * 0x40000000;
    std::string sub = dir + "/executor-" + std::to_string(p + 1);
    if (mkdir(sub.c_str(), 0755) != 0) {
      perror(sub.c_str());
      return 1;
    }
    // One Dump per process, its counters rewritten for each dump: the PCs are the process's.
    Dump dump;
    dump.process.fixed.pid = pid;
    dump.process.fixed.ppid = 9000;
    dump.process.fixed.instance_id = 0xf1ee700000000000ull + p;
    dump.process.fixed.start_unix_ns = 1'767'000'000'000'000'000;
    dump.process.host = "worker-" + std::to_string(p % 50 + 1) + ".example.net";
    dump.process.executable = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
    dump.process.args = {"/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                         "-Xmx8g",
                         "-cp",
                         "/hadoop/yarn/app/__spark_libs__/*",
                         "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend",
                         "--driver-url",
                         "spark://CoarseGrainedScheduler@driver.example.net:40000",
                         "--executor-id",
                         std::to_string(p + 1),
                         "--hostname",
                         dump.process.host,
                         "--cores",
                         "4",
                         "--app-id",
                         "application_1767000000000_0042"};
    dump.settings.sample_bytes = 131072;
    dump.settings.interval_ns = 300'000'000'000;
    dump.recorder_version = "fleet generator";
    for (int m = 0; m < kModuleCount; ++m) {
      ModuleInfo module;
      module.path = kModules[m].path;
      module.fixed.start = module.fixed.bias = 0x7e0000000000 + aslr + uint64_t(m) * 0x2000000;
      module.fixed.end = module.fixed.start + kModules[m].size;
      dump.modules.push_back(module);
    }
    dump.sites.resize(sites);
    for (int s = 0; s < sites; ++s) {
      SiteInfo& site = dump.sites[s];
      site.fixed.site_id = s + 1;
      for (const Pc& pc : stacks[s].native) {
        site.pcs.push_back(pc.module < 0 ? 0x20000000 + aslr / 0x1000 + pc.offset
                                         : dump.modules[pc.module].fixed.start + pc.offset);
      }
      site.pcs.insert(site.pcs.end(), stacks[s].java.begin(), stacks[s].java.end());
    }
    AddMethods(&dump);
    std::vector<uint64_t> level(sites);
    for (int s = 0; s < sites; ++s) level[s] = 1 + rng() % 8;
    const bool leaking = p % 4 == 0;
    for (int i = 0; i < dumps; ++i) {
      dump.process.fixed.seq = i;
      dump.process.fixed.time_monotonic_ns = 3'600'000'000'000 + int64_t(i) * 300'000'000'000;
      dump.process.fixed.time_unix_ns = 1'767'000'000'000'000'000 + int64_t(i) * 300'000'000'000;
      dump.memory.rss_bytes = (2048ull << 20) + uint64_t(i) * (1 << 20);
      for (int s = 0; s < sites; ++s) {
        // As sampling sees them (4 KiB samples): a leaker gains one sample a dump and frees
        // none; the others churn (20 samples a dump) around a level that wanders.
        bool leaker = leaking && s % 100 == 0;
        if (!leaker && rng() % 4 == 0) level[s] = 1 + rng() % 8;
        uint64_t live = leaker ? uint64_t(i + 1) : s % 100 == 0 ? 1 : level[s];
        uint64_t churned = leaker || s % 100 == 0 ? 0 : 20 * uint64_t(i + 1);
        format::SiteFixed& f = dump.sites[s].fixed;
        f.alloc_count = churned + live;
        f.alloc_bytes = f.alloc_count * 4096;
        f.free_count = churned;
        f.free_bytes = churned * 4096;
        f.alloc_est_count = f.alloc_count * 32;
        f.alloc_est_bytes = f.alloc_bytes * 32;
        f.free_est_count = f.free_count * 32;
        f.free_est_bytes = f.free_bytes * 32;
      }
      StringSink sink;
      if (!WriteDump(dump, &sink)) return 1;
      std::string path =
          sub + "/leakscope." + std::to_string(pid) + "." + std::to_string(i) + ".dump";
      FILE* f = fopen(path.c_str(), "wb");
      if (f == nullptr ||
          fwrite(sink.bytes().data(), 1, sink.bytes().size(), f) != sink.bytes().size() ||
          fclose(f) != 0) {
        perror(path.c_str());
        return 1;
      }
    }
  }
  return 0;
}

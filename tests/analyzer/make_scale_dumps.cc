// SPDX-License-Identifier: Apache-2.0
// Writes a large synthetic series for measuring `leakscope trend` at scale:
//   make_scale_dumps OUTDIR DUMPS STACKS [DEPTH]
// One process, DUMPS dumps a minute apart, STACKS sites each, DEPTH frames per stack drawn from
// a pool of addresses in four (missing) modules. Site 0 mod 100 leak steadily; the others go up
// and down. Used by hand and by the analyzer_trend_scale test (at a smaller size).
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "dump.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: make_scale_dumps OUTDIR DUMPS STACKS [DEPTH]\n");
    return 2;
  }
  std::string dir = argv[1];
  int dumps = atoi(argv[2]);
  int stacks = atoi(argv[3]);
  int depth = argc > 4 ? atoi(argv[4]) : 16;
  using namespace leakscope;

  std::mt19937_64 rng(1);
  // Stacks share frames, as real ones do: each frame comes from a pool of 20,000 addresses.
  std::vector<std::vector<uint64_t>> pcs(stacks);
  for (int s = 0; s < stacks; ++s) {
    for (int d = 0; d < depth; ++d) {
      uint64_t module = rng() % 4;
      pcs[s].push_back(0x7f0000000000 + module * 0x1000000 + (rng() % 5000) * 16 + 5);
    }
    pcs[s][0] = 0x7f0000000000 + uint64_t(s) * 16 + 5;  // distinct innermost frame per site
  }
  for (int i = 0; i < dumps; ++i) {
    Dump dump;
    dump.process.fixed.pid = 777;
    dump.process.fixed.instance_id = 1;
    dump.process.fixed.seq = i;
    dump.process.fixed.time_monotonic_ns = int64_t(i) * 60'000'000'000;
    dump.settings.sample_bytes = 131072;
    for (int m = 0; m < 4; ++m) {
      ModuleInfo module;
      module.path = "/nonexistent/scale/lib" + std::to_string(m) + ".so";
      module.fixed.start = module.fixed.bias = 0x7f0000000000 + m * 0x1000000;
      module.fixed.end = module.fixed.start + 0x1000000;
      dump.modules.push_back(module);
    }
    dump.sites.reserve(stacks);
    for (int s = 0; s < stacks; ++s) {
      SiteInfo site;
      site.fixed.site_id = s + 1;
      site.pcs = pcs[s];
      // As sampling sees them: a leaker gains one sample of 4 KiB a minute and frees none; the
      // others churn (80 samples a minute, all but a few freed) around a random live level.
      bool leaker = s % 100 == 0;
      uint64_t live = leaker ? 4096 * uint64_t(i + 1) : 4096 * (1 + (rng() % 8));
      uint64_t churned = leaker ? 0 : 80 * uint64_t(i + 1);
      site.fixed.alloc_count = site.fixed.alloc_est_count = churned + live / 4096;
      site.fixed.alloc_bytes = site.fixed.alloc_est_bytes = churned * 4096 + live;
      site.fixed.free_count = site.fixed.free_est_count = churned;
      site.fixed.free_bytes = site.fixed.free_est_bytes = churned * 4096;
      dump.sites.push_back(std::move(site));
    }
    StringSink sink;
    if (!WriteDump(dump, &sink)) return 1;
    std::string path = dir + "/leakscope.777." + std::to_string(i) + ".dump";
    FILE* f = fopen(path.c_str(), "wb");
    if (f == nullptr ||
        fwrite(sink.bytes().data(), 1, sink.bytes().size(), f) != sink.bytes().size()) {
      return 1;
    }
    fclose(f);
  }
  return 0;
}

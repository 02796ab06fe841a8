// SPDX-License-Identifier: Apache-2.0
// Writes a few valid dumps into a directory: the fuzzer's seed corpus.
// Usage: make_seed_dumps DIR
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "dump.h"
#include "test_dump_builder.h"

namespace {

bool WriteSeed(const std::string& path, const leakscope::Dump& dump) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  leakscope::FdSink sink(fd);
  bool ok = leakscope::WriteDump(dump, &sink) && sink.Flush();
  return ::close(fd) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  leakscope::Dump rich = leakscope::testing::RichSampleDump();
  leakscope::Dump few_sites = rich;
  few_sites.modules.resize(1);
  few_sites.sites.resize(2);
  few_sites.streams.clear();
  few_sites.recorder_version = "0.1.0 (git abc1234)";  // a kRecorder record to mutate
  leakscope::Dump many_sites = leakscope::testing::MinimalSampleDump();
  for (uint32_t id = 1; id <= 40; ++id) {
    leakscope::SiteInfo& site = many_sites.sites.emplace_back();
    site.fixed.site_id = id;
    site.fixed.alloc_count = id * 3;
    site.fixed.free_count = id;
    site.pcs.assign(id % 9, 0x400000 + id);
    // Ages to mutate (format version 2): median, oldest and the bytes past each threshold.
    site.ages.median_age_s = id * 7;
    site.ages.oldest_age_s = id * 4000;
    for (uint64_t& bytes : site.ages.older_than_est_bytes) bytes = id * 100;
  }
  leakscope::Dump version1 = few_sites;  // the format before ages: sites without them
  version1.version = 1;
  bool ok = WriteSeed(dir + "/rich.dump", rich) &&
            WriteSeed(dir + "/minimal.dump", leakscope::testing::MinimalSampleDump()) &&
            WriteSeed(dir + "/few_sites.dump", few_sites) &&
            WriteSeed(dir + "/many_sites.dump", many_sites) &&
            WriteSeed(dir + "/version1.dump", version1);
  if (!ok) {
    std::perror(("make_seed_dumps: writing into " + dir).c_str());
    return 1;
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
#include "dump_files.h"

#include <algorithm>

#include "dump_file_names.h"
#include "temp_dir.h"

namespace leakscope::testing {

std::vector<DumpFile> ListDumps(const std::string& dir) {
  std::vector<DumpFile> dumps;
  for (const std::string& name : ListDir(dir)) {
    int pid;
    uint64_t seq;
    if (!dump_files::ParseDumpName(name.c_str(), &pid, &seq)) continue;
    dumps.push_back({static_cast<pid_t>(pid), seq, dir + "/" + name});
  }
  std::sort(dumps.begin(), dumps.end(), [](const DumpFile& a, const DumpFile& b) {
    return a.pid != b.pid ? a.pid < b.pid : a.seq < b.seq;
  });
  return dumps;
}

std::vector<DumpFile> DumpsOf(const std::string& dir, pid_t pid) {
  std::vector<DumpFile> all = ListDumps(dir);
  std::erase_if(all, [pid](const DumpFile& d) { return d.pid != pid; });
  return all;
}

::testing::AssertionResult LoadDump(const std::string& path, Dump* out) {
  std::string error;
  if (!ReadDumpFile(path, out, &error)) {
    return ::testing::AssertionFailure() << "ReadDumpFile failed: " << error;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult LoadLastDump(const std::string& dir, pid_t pid, Dump* out) {
  std::vector<DumpFile> dumps = DumpsOf(dir, pid);
  if (dumps.empty()) {
    std::string names;
    for (const std::string& n : ListDir(dir)) names += " " + n;
    return ::testing::AssertionFailure()
           << "no leakscope." << pid << ".*.dump in " << dir << " (it holds:" << names << ")";
  }
  return LoadDump(dumps.back().path, out);
}

}  // namespace leakscope::testing

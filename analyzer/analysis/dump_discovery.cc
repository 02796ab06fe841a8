// SPDX-License-Identifier: Apache-2.0
#include "analysis/dump_discovery.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace leakscope::analyzer {

bool ExpandDumpPath(const std::string& path, std::vector<std::string>* files, std::string* error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    *error = absl::StrCat(path, ": no such file or directory");
    return false;
  }
  if (!fs::is_directory(status)) {
    files->push_back(path);
    return true;
  }
  std::vector<std::string> found;
  for (auto it = fs::recursive_directory_iterator(
           path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() == ".dump" && it->is_regular_file(ec)) found.push_back(p.string());
  }
  if (ec) {
    *error = absl::StrCat(path, ": ", ec.message());
    return false;
  }
  std::sort(found.begin(), found.end());
  files->insert(files->end(), found.begin(), found.end());
  return true;
}

std::vector<std::vector<DumpEntry>> GroupDumpsByProcess(const std::vector<std::string>& files,
                                                        std::vector<std::string>* errors) {
  std::map<std::pair<int64_t, uint64_t>, std::vector<DumpEntry>> groups;
  for (const std::string& path : files) {
    DumpEntry entry{path, {}};
    std::string error;
    if (!ReadDumpProcess(path, &entry.process, &error)) {
      if (errors != nullptr) errors->push_back(error);
      continue;
    }
    groups[{entry.process.fixed.pid, entry.process.fixed.instance_id}].push_back(std::move(entry));
  }
  std::vector<std::vector<DumpEntry>> result;
  result.reserve(groups.size());
  for (auto& [key, entries] : groups) {
    std::stable_sort(entries.begin(), entries.end(), [](const DumpEntry& a, const DumpEntry& b) {
      return a.process.fixed.seq < b.process.fixed.seq;
    });
    result.push_back(std::move(entries));
  }
  return result;
}

}  // namespace leakscope::analyzer

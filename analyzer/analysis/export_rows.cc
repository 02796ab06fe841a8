// SPDX-License-Identifier: Apache-2.0
#include "analysis/export_rows.h"

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "analysis/dump_discovery.h"
#include "analysis/site_key.h"

namespace leakscope::analyzer {

std::optional<std::string> ExecutorLabel(const ProcessInfo& process) {
  constexpr std::string_view kFlag = "--executor-id";
  const std::vector<std::string>& args = process.args;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == kFlag && i + 1 < args.size()) return args[i + 1];
    if (arg.starts_with(kFlag) && arg.size() > kFlag.size() && arg[kFlag.size()] == '=') {
      return std::string(arg.substr(kFlag.size() + 1));
    }
  }
  return std::nullopt;
}

ExportSummary ExportDumps(const std::vector<std::string>& files, Symbolizer* symbolizer,
                          const std::function<void(const ExportDump&)>& on_dump,
                          const std::function<void(size_t, size_t)>& progress) {
  ExportSummary summary;
  std::vector<std::vector<DumpEntry>> groups = GroupDumpsByProcess(files, &summary.errors);
  size_t done = summary.errors.size();
  absl::flat_hash_map<uint32_t, uint64_t> key_of_stack;  // keys are the same in every process
  for (const std::vector<DumpEntry>& entries : groups) {
    // site id -> (hash of its PCs and epoch, stack): a site seen in an earlier dump of the
    // process is not symbolized again (trend does the same).
    absl::flat_hash_map<uint32_t, std::pair<size_t, uint32_t>> site_cache;
    absl::flat_hash_map<uint32_t, bool> exported;  // stacks with a row in this process
    std::optional<uint64_t> last_seq;
    ExportDump out;
    for (const DumpEntry& entry : entries) {
      Dump dump;
      std::string error;
      bool ok = ReadDumpFile(entry.path, &dump, &error);
      if (ok && last_seq && dump.process.fixed.seq == *last_seq) {
        ok = false;
        error = absl::StrCat(entry.path, ": same process and seq as the dump before; skipped");
      }
      if (ok) {
        last_seq = dump.process.fixed.seq;
        std::optional<Symbolizer::DumpView> view;
        out.process = &dump.process;
        out.executor = ExecutorLabel(dump.process);
        out.sites.clear();
        absl::flat_hash_map<uint32_t, size_t> row_of_stack;
        for (const SiteInfo& site : dump.sites) {
          size_t hash = std::hash<std::string_view>{}(std::string_view(
                            reinterpret_cast<const char*>(site.pcs.data()), site.pcs.size() * 8)) ^
                        (site.epoch_known ? 0x9e3779b97f4a7c15ull * (site.epoch + 1ull) : 0);
          uint32_t stack;
          auto cached = site_cache.find(site.fixed.site_id);
          if (cached != site_cache.end() && cached->second.first == hash) {
            stack = cached->second.second;
          } else {
            if (!view) view = symbolizer->View(dump);
            stack = symbolizer->StackOf(*view, site);
            site_cache[site.fixed.site_id] = {hash, stack};
          }
          auto [row, inserted] = row_of_stack.try_emplace(stack, out.sites.size());
          if (inserted) {
            auto [key, new_key] = key_of_stack.try_emplace(stack, 0);
            if (new_key)
              key->second = SiteKey(symbolizer->frames(), symbolizer->stacks().Get(stack));
            auto [seen, first] = exported.try_emplace(stack, true);
            out.sites.push_back(
                ExportSite{.stack = stack, .key = key->second, .first_in_process = first});
          }
          out.sites[row->second].live_bytes += site.live_est_bytes();
          out.sites[row->second].live_count += site.live_est_count();
        }
        on_dump(out);
        ++summary.dumps;
      } else {
        summary.errors.push_back(error);
      }
      ++done;
      if (progress) progress(done, files.size());
    }
  }
  return summary;
}

}  // namespace leakscope::analyzer

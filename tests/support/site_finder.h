// SPDX-License-Identifier: Apache-2.0
// Names the sites of a dump by function, so scenario tests can say "the sites whose innermost
// frame outside the allocator is leak_256" instead of comparing raw addresses.
//
// A PC is looked up as the analyzer does: find the module with start <= pc-1 < end, take the ELF
// virtual address pc-1-bias and the function symbol (.symtab, else .dynsym) containing it. Module
// files are read from the paths in the dump, so this works on the machine that ran the program.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dump.h"
#include "elf_symbols.h"

namespace leakscope::testing {

// Sums of the counters of some sites.
struct SiteTotals {
  uint64_t sites = 0;
  uint64_t alloc_count = 0;
  uint64_t alloc_bytes = 0;
  uint64_t free_count = 0;
  uint64_t free_bytes = 0;
  uint64_t live_count = 0;
  uint64_t live_bytes = 0;
  uint64_t live_est_bytes = 0;
};

// Sums of the zlib stream records of some sites, for one kind.
struct StreamTotals {
  uint64_t records = 0;
  uint64_t open_count = 0;
  uint64_t open_bytes = 0;
  uint64_t opened_total = 0;
};

class SiteFinder {
 public:
  // Keeps a reference to dump; it must outlive the finder. Module files are read lazily.
  explicit SiteFinder(const Dump& dump);
  ~SiteFinder();

  // The module holding pc-1: a loaded one if any, else one flagged kModuleUnloaded; null if none.
  const ModuleInfo* ModuleAt(uint64_t pc) const;
  // The function holding pc-1, "" if unknown.
  std::string FunctionAt(uint64_t pc) const;
  // Every frame's function, innermost first ("" where unknown).
  std::vector<std::string> Frames(const SiteInfo& site) const;
  // The innermost frame outside the allocator: frames in the recorder (libleakscope), libc, the
  // dynamic loader, libstdc++ (operator new) and jemalloc (whose hooks call the recorder from
  // inside it) are skipped. "" if none is left.
  std::string InnermostUserFunction(const SiteInfo& site) const;

  // Sites whose InnermostUserFunction is `function`.
  std::vector<const SiteInfo*> SitesAllocatedIn(std::string_view function) const;
  // Sites with `function` in any frame.
  std::vector<const SiteInfo*> SitesThrough(std::string_view function) const;
  const SiteInfo* SiteById(uint32_t site_id) const;

  SiteTotals AllocatedIn(std::string_view function) const;
  SiteTotals Through(std::string_view function) const;
  // Stream records of `kind` whose site's InnermostUserFunction is `function`.
  StreamTotals StreamsOpenedIn(std::string_view function, format::StreamKind kind) const;
  // Stream records of `kind` whose site has `function` in any frame.
  StreamTotals StreamsThrough(std::string_view function, format::StreamKind kind) const;
  // All stream records of `kind`.
  StreamTotals AllStreams(format::StreamKind kind) const;

  // A readable list of every site (id, counters, frames) for failure messages.
  std::string DescribeSites() const;

 private:
  const ElfSymbols& SymbolsOf(const ModuleInfo& module) const;
  bool HasFrame(const SiteInfo& site, std::string_view function) const;
  template <typename Match>
  StreamTotals SumStreams(format::StreamKind kind, Match match) const;

  const Dump& dump_;
  mutable std::map<std::string, std::unique_ptr<ElfSymbols>> symbols_;
};

SiteTotals Sum(const std::vector<const SiteInfo*>& sites);

// The basename of a path.
std::string_view Basename(std::string_view path);

}  // namespace leakscope::testing

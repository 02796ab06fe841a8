// SPDX-License-Identifier: Apache-2.0
#include "site_finder.h"

#include <sstream>

namespace leakscope::testing {
namespace {

bool IsAllocatorModule(std::string_view path) {
  std::string_view base = Basename(path);
  for (std::string_view prefix :
       {"libleakscope", "libc.so", "ld-linux", "libstdc++.so", "libjemalloc"}) {
    if (base.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

std::string_view Basename(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

SiteTotals Sum(const std::vector<const SiteInfo*>& sites) {
  SiteTotals t;
  for (const SiteInfo* s : sites) {
    ++t.sites;
    t.alloc_count += s->fixed.alloc_count;
    t.alloc_bytes += s->fixed.alloc_bytes;
    t.free_count += s->fixed.free_count;
    t.free_bytes += s->fixed.free_bytes;
    t.live_count += s->live_count();
    t.live_bytes += s->live_bytes();
    t.live_est_bytes += s->live_est_bytes();
  }
  return t;
}

SiteFinder::SiteFinder(const Dump& dump) : dump_(dump) {}
SiteFinder::~SiteFinder() = default;

const ModuleInfo* SiteFinder::ModuleAt(uint64_t pc) const {
  const ModuleInfo* unloaded = nullptr;
  for (const ModuleInfo& m : dump_.modules) {
    if (pc - 1 < m.fixed.start || pc - 1 >= m.fixed.end) continue;
    if ((m.fixed.flags & format::kModuleUnloaded) == 0) return &m;
    if (unloaded == nullptr) unloaded = &m;
  }
  return unloaded;
}

const ElfSymbols& SiteFinder::SymbolsOf(const ModuleInfo& module) const {
  auto& slot = symbols_[module.path];
  if (!slot) slot = std::make_unique<ElfSymbols>(module.path);
  return *slot;
}

std::string SiteFinder::FunctionAt(uint64_t pc) const {
  const ModuleInfo* m = ModuleAt(pc);
  if (m == nullptr) return "";
  return SymbolsOf(*m).FunctionAt(pc - 1 - m->fixed.bias);
}

std::vector<std::string> SiteFinder::Frames(const SiteInfo& site) const {
  std::vector<std::string> frames;
  for (uint64_t pc : site.pcs) frames.push_back(FunctionAt(pc));
  return frames;
}

std::string SiteFinder::InnermostUserFunction(const SiteInfo& site) const {
  for (uint64_t pc : site.pcs) {
    const ModuleInfo* m = ModuleAt(pc);
    if (m != nullptr && IsAllocatorModule(m->path)) continue;
    return FunctionAt(pc);
  }
  return "";
}

std::vector<const SiteInfo*> SiteFinder::SitesAllocatedIn(std::string_view function) const {
  std::vector<const SiteInfo*> out;
  for (const SiteInfo& s : dump_.sites) {
    if (InnermostUserFunction(s) == function) out.push_back(&s);
  }
  return out;
}

bool SiteFinder::HasFrame(const SiteInfo& site, std::string_view function) const {
  for (uint64_t pc : site.pcs) {
    if (FunctionAt(pc) == function) return true;
  }
  return false;
}

std::vector<const SiteInfo*> SiteFinder::SitesThrough(std::string_view function) const {
  std::vector<const SiteInfo*> out;
  for (const SiteInfo& s : dump_.sites) {
    if (HasFrame(s, function)) out.push_back(&s);
  }
  return out;
}

const SiteInfo* SiteFinder::SiteById(uint32_t site_id) const {
  for (const SiteInfo& s : dump_.sites) {
    if (s.fixed.site_id == site_id) return &s;
  }
  return nullptr;
}

SiteTotals SiteFinder::AllocatedIn(std::string_view function) const {
  return Sum(SitesAllocatedIn(function));
}

SiteTotals SiteFinder::Through(std::string_view function) const {
  return Sum(SitesThrough(function));
}

template <typename Match>
StreamTotals SiteFinder::SumStreams(format::StreamKind kind, Match match) const {
  StreamTotals t;
  for (const format::StreamsFixed& s : dump_.streams) {
    if (s.kind != static_cast<uint32_t>(kind)) continue;
    const SiteInfo* site = SiteById(s.site_id);
    if (site == nullptr || !match(*site)) continue;
    ++t.records;
    t.open_count += s.open_count;
    t.opened_total += s.opened_total;
    t.open_bytes += s.open_bytes;
  }
  return t;
}

StreamTotals SiteFinder::StreamsOpenedIn(std::string_view function, format::StreamKind kind) const {
  return SumStreams(kind, [&](const SiteInfo& s) { return InnermostUserFunction(s) == function; });
}

StreamTotals SiteFinder::StreamsThrough(std::string_view function, format::StreamKind kind) const {
  return SumStreams(kind, [&](const SiteInfo& s) { return HasFrame(s, function); });
}

StreamTotals SiteFinder::AllStreams(format::StreamKind kind) const {
  StreamTotals t;
  for (const format::StreamsFixed& s : dump_.streams) {
    if (s.kind != static_cast<uint32_t>(kind)) continue;
    ++t.records;
    t.open_count += s.open_count;
    t.opened_total += s.opened_total;
    t.open_bytes += s.open_bytes;
  }
  return t;
}

std::string SiteFinder::DescribeSites() const {
  std::ostringstream out;
  for (const SiteInfo& s : dump_.sites) {
    out << "site " << s.fixed.site_id << ": alloc " << s.fixed.alloc_count << "/"
        << s.fixed.alloc_bytes << " free " << s.fixed.free_count << "/" << s.fixed.free_bytes
        << " est " << s.fixed.alloc_est_bytes << "-" << s.fixed.free_est_bytes << " frames:";
    for (uint64_t pc : s.pcs) {
      const ModuleInfo* m = ModuleAt(pc);
      std::string name = FunctionAt(pc);
      out << " " << (name.empty() ? "?" : name) << "@"
          << (m == nullptr ? std::string_view("?") : Basename(m->path));
    }
    out << "\n";
  }
  for (const format::StreamsFixed& s : dump_.streams) {
    out << "streams site " << s.site_id << " kind " << s.kind << ": open " << s.open_count
        << " total " << s.opened_total << "\n";
  }
  return out.str();
}

}  // namespace leakscope::testing

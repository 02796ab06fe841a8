// SPDX-License-Identifier: Apache-2.0
#include "dump_checks.h"

#include <set>

namespace leakscope::testing {
namespace {

bool InSomeModule(const Dump& dump, uint64_t pc) {
  for (const ModuleInfo& m : dump.modules) {
    if (pc - 1 >= m.fixed.start && pc - 1 < m.fixed.end) return true;
  }
  return false;
}

}  // namespace

::testing::AssertionResult DumpIsConsistent(const Dump& dump, bool native_only) {
  auto fail = [] { return ::testing::AssertionFailure(); };
  if (dump.version != format::kVersion) return fail() << "version " << dump.version;
  if (dump.process.fixed.pid <= 0) return fail() << "pid " << dump.process.fixed.pid;
  if (dump.process.fixed.time_unix_ns < dump.process.fixed.start_unix_ns) {
    return fail() << "dump taken before the recorder started";
  }
  if (dump.settings.depth == 0 || dump.settings.sample_bytes == 0) {
    return fail() << "settings: depth " << dump.settings.depth << ", sample_bytes "
                  << dump.settings.sample_bytes;
  }
  const bool exact = dump.settings.sample_bytes == 1;

  std::set<uint32_t> ids;
  for (const SiteInfo& s : dump.sites) {
    const format::SiteFixed& f = s.fixed;
    if (!ids.insert(f.site_id).second) return fail() << "site id " << f.site_id << " twice";
    if (f.depth != s.pcs.size() || f.depth > dump.settings.depth) {
      return fail() << "site " << f.site_id << ": depth " << f.depth << ", " << s.pcs.size()
                    << " pcs, settings.depth " << dump.settings.depth;
    }
    if (f.free_count > f.alloc_count || f.free_bytes > f.alloc_bytes ||
        f.free_est_bytes > f.alloc_est_bytes) {
      return fail() << "site " << f.site_id << " freed more than it allocated: alloc "
                    << f.alloc_count << "/" << f.alloc_bytes << "/" << f.alloc_est_bytes << " free "
                    << f.free_count << "/" << f.free_bytes << "/" << f.free_est_bytes;
    }
    if (exact && (f.alloc_est_bytes != f.alloc_bytes || f.free_est_bytes != f.free_bytes)) {
      return fail() << "site " << f.site_id << ": with sample_bytes=1 estimates must equal bytes ("
                    << f.alloc_est_bytes << " vs " << f.alloc_bytes << ", " << f.free_est_bytes
                    << " vs " << f.free_bytes << ")";
    }
    if (native_only && f.site_id != format::kOverflowSiteId) {
      for (uint64_t pc : s.pcs) {
        if (!InSomeModule(dump, pc)) {
          return fail() << "site " << f.site_id << ": pc 0x" << std::hex << pc << " in no module";
        }
      }
    }
  }
  for (const format::StreamsFixed& s : dump.streams) {
    if (ids.count(s.site_id) == 0) return fail() << "stream record for missing site " << s.site_id;
    if (s.kind != static_cast<uint32_t>(format::StreamKind::kInflate) &&
        s.kind != static_cast<uint32_t>(format::StreamKind::kDeflate)) {
      return fail() << "stream kind " << s.kind;
    }
    if (s.open_count > s.opened_total) {
      return fail() << "site " << s.site_id << ": " << s.open_count << " streams open of "
                    << s.opened_total << " opened";
    }
  }

  int mains = 0;
  for (size_t i = 0; i < dump.modules.size(); ++i) {
    const ModuleInfo& m = dump.modules[i];
    if (m.fixed.start >= m.fixed.end) return fail() << "module " << m.path << " is empty";
    if (m.fixed.flags & format::kModuleMain) {
      ++mains;
      if (m.path.empty() || m.path[0] != '/')
        return fail() << "main module path '" << m.path << "'";
    }
    if (m.fixed.flags & format::kModuleUnloaded) continue;
    for (size_t j = 0; j < i; ++j) {
      const ModuleInfo& o = dump.modules[j];
      if (o.fixed.flags & format::kModuleUnloaded) continue;
      if (m.fixed.start < o.fixed.end && o.fixed.start < m.fixed.end) {
        return fail() << "modules " << o.path << " and " << m.path << " overlap";
      }
    }
  }
  if (mains != 1) return fail() << mains << " modules flagged kModuleMain";

  const format::MemoryFixed& mem = dump.memory;
  if (mem.rss_bytes == 0 || mem.rss_peak_bytes < mem.rss_bytes || mem.vm_bytes < mem.rss_bytes) {
    return fail() << "memory: rss " << mem.rss_bytes << ", peak " << mem.rss_peak_bytes << ", vm "
                  << mem.vm_bytes;
  }
  // Tables are reserved up front and touched as they fill: a recorder that recorded something
  // has touched some of them.
  if ((!dump.sites.empty() && mem.self_resident_bytes == 0) ||
      mem.self_reserved_bytes < mem.self_resident_bytes) {
    return fail() << "overhead: reserved " << mem.self_reserved_bytes << ", resident "
                  << mem.self_resident_bytes;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace leakscope::testing

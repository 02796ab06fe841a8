// SPDX-License-Identifier: Apache-2.0
// Growth of each call site across a series of dumps, and the leak suspects: sites that grow
// steadily, as opposed to caches and per-batch buffers that go up and down or grew once.
//
// Two rules decide, by how the dumps were recorded:
// - Sampled (the default): the site's sampled births and deaths over the window must show growth
//   that steady state with turnover does not explain (growth_evidence.h); the rest of the growing
//   sites are listed as possible growth, with the samples they rest on.
// - Exact (LEAKSCOPE_SAMPLE_BYTES=1): no sampling error, so the shape of the live bytes decides:
//   a positive robust slope, growth in most intervals and still in the second half.
//
// Dumps are grouped by process (pid + recorder instance) and read one at a time in seq order;
// per site only a bounded sample of points is kept (at most kMaxPoints, thinned by halving when
// full), so memory grows with the number of distinct stacks, not with the number of dumps.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analysis/dump_discovery.h"
#include "analysis/growth_evidence.h"
#include "analysis/site_ages.h"
#include "dump.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

struct TrendOptions {
  // A suspect shrank in at most this fraction of its intervals...
  double max_shrink_fraction = 0.2;
  // ...grew in at least this many intervals (fewer if the series has fewer)...
  uint32_t min_grew_intervals = 2;
  // ...and grew by at least this much net (bytes) from first to last dump. (Exact dumps; these
  // three are the shape rules.)
  uint64_t min_growth_bytes = 1;
  // Comma-separated executable base names (`--process java`, the rule of LEAKSCOPE_PROCESS):
  // only processes whose executable is named count, as executors in "k of n" too. Empty: all.
  // For dumps written without LEAKSCOPE_PROCESS, where a YARN launch script's own commands
  // left dump series of their own.
  std::string processes;
  // Worker threads that read processes' series in parallel (one process per worker at a time);
  // 0 = one per core. The result does not depend on it.
  unsigned jobs = 0;
};

// One site in one process.
struct SiteTrend {
  uint32_t stack = 0;
  double slope_bytes_per_min = 0;  // Theil-Sen over the kept points
  uint32_t intervals = 0;          // consecutive pairs of dumps read
  uint32_t grew = 0;               // intervals in which live bytes grew
  uint32_t shrank = 0;             // ... and shrank
  uint64_t first_live_bytes = 0;
  uint64_t last_live_bytes = 0;
  uint64_t last_live_count = 0;          // estimated, at the last dump
  uint64_t last_sampled_live_count = 0;  // sampled, at the last dump
  SiteAges last_ages;                    // of the live samples at the last dump
  uint64_t max_live_bytes = 0;
  bool grew_late = false;  // still grew in the second half of the series
  bool exact = false;      // recorded with every allocation (sample_bytes 1): the shape rules
  uint64_t sample_bytes = 0;
  SampleEvents events;      // sampled births and deaths over the window
  GrowthEvidence evidence;  // sampled dumps: what `events` show
  bool suspect = false;

  double monotonic_fraction() const { return intervals == 0 ? 0 : double(grew) / intervals; }
};

// A dump that was requested with a label (`leakscope dump --label`, dump_label.h).
struct LabelledDump {
  uint64_t seq = 0;
  int64_t time_ns = 0;  // CLOCK_MONOTONIC since the process's first dump read (the time axis)
  int64_t time_unix_ns = 0;
  std::string label;
};

struct ProcessTrend {
  int64_t pid = 0;
  uint64_t instance_id = 0;
  std::string host;
  std::string executable;
  std::string recorder_version;  // of the last dump read; empty when it does not say
  uint32_t dumps = 0;            // read successfully
  uint64_t first_seq = 0, last_seq = 0;
  int64_t first_time_ns = 0, last_time_ns = 0;  // CLOCK_MONOTONIC
  uint64_t first_rss = 0, last_rss = 0;
  uint64_t last_live_bytes = 0;      // estimated, all sites, last dump
  uint64_t last_live_count = 0;      // estimated, all sites, last dump
  format::JavaFixed last_java{};     // the last dump's kJava record; all zero without the agent
  std::vector<LabelledDump> labels;  // the labelled dumps read, in seq order
  std::vector<SiteTrend> sites;      // sites live at some point; by slope descending
};

// A site across processes, matched by symbolized stack.
struct SuspectTrend {
  uint32_t stack = 0;
  double growth_bytes_per_min = 0;               // summed over the processes where it is a suspect
  uint64_t live_bytes_last = 0;                  // summed over those processes' last dumps
  uint64_t live_count_last = 0;                  // estimated, summed likewise
  uint64_t sampled_live_count_last = 0;          // sampled, summed likewise
  uint32_t intervals = 0, grew = 0, shrank = 0;  // pooled over those processes
  // Processes where the site is a suspect: by its own figures, or, for a site that is a suspect
  // on the pooled evidence, where its samples grew.
  uint32_t processes = 0;
  uint32_t processes_seen = 0;  // processes where the site had live bytes
  bool suspect = false;
  // Sampled processes: their births and deaths pooled (a leak in every executor of a job adds up
  // its evidence), what they show, and the largest sampling interval among them.
  bool sampled = false;
  SampleEvents events;
  GrowthEvidence evidence;
  uint64_t sample_bytes = 0;
  // Ages at the last dumps of the processes where the site had live bytes, merged (site_ages.h).
  SiteAges last_ages;
  double monotonic_fraction() const { return intervals == 0 ? 0 : double(grew) / intervals; }
};

struct TrendResult {
  std::vector<ProcessTrend> processes;  // by pid, instance
  std::vector<SuspectTrend> suspects;   // ranked: growth_bytes_per_min descending
  // Sampled sites whose samples grew without being significant: growth that stopped last, sites
  // that never freed a sample first, then by p-value.
  std::vector<SuspectTrend> possible;
  std::vector<SuspectTrend> sites;  // every site, suspects or not, by growth descending
  uint32_t dumps_read = 0;
  uint32_t processes_left_out = 0;  // by TrendOptions::processes, with...
  uint32_t dumps_left_out = 0;      // ...their dumps (not read)
  std::vector<std::string> errors;  // one line per unreadable file
};

inline constexpr size_t kMaxPoints = 64;

// The stack (id in the symbolizer's StackTable) of each of a dump's site records and stream
// records, in the dump's order: what the trend already symbolized, so that a caller need not.
struct DumpStacks {
  std::vector<uint32_t> sites;    // one per Dump::sites
  std::vector<uint32_t> streams;  // one per Dump::streams
};

// Called once for each dump AnalyzeTrend reads and counts (not for files it skips or cannot
// read). For callers that need more of a dump than the trend keeps (html's per-dump series), so
// that no dump is read or symbolized twice. `dump` and `stacks` live only for the call.
//
// THREADS: called from AnalyzeTrend's workers. The dumps of one process come in seq order from
// one thread; different processes' dumps may come at the same time from different threads.
// `process` numbers the processes in the order of TrendResult::processes (a number whose
// process had no readable dump is skipped), the same for all of a process's dumps.
using TrendDumpCallback = std::function<void(size_t process, const DumpEntry& entry,
                                             const Dump& dump, const DumpStacks& stacks)>;

// Reads `files` (already expanded from directories). `progress(done, total)` is called after
// each file (may be empty), from one thread at a time, with `done` rising; `on_dump` after each
// dump read (may be empty).
//
// THREADS: the series of different processes are read by up to TrendWorkers() threads at once;
// `symbolizer` is used by one of them at a time (so not by on_dump while AnalyzeTrend runs). The
// result is the same, byte for byte once formatted, for any number of workers: processes are merged
// in the order above, and nothing depends on the order in which the symbolizer numbered stacks and
// frames. The number of threads AnalyzeTrend uses for `processes` process series.
unsigned TrendWorkers(const TrendOptions& options, size_t processes);

TrendResult AnalyzeTrend(const std::vector<std::string>& files, const TrendOptions& options,
                         Symbolizer* symbolizer,
                         const std::function<void(size_t, size_t)>& progress,
                         const TrendDumpCallback& on_dump = {});

}  // namespace leakscope::analyzer

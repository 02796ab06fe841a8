// SPDX-License-Identifier: Apache-2.0
#include "analysis/trend.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "analysis/robust_slope.h"
#include "option_values.h"
#include "symbolize/foreign_machine.h"

namespace leakscope::analyzer {
namespace {

// The live bytes of one site across the dumps of one process.
struct Series {
  uint32_t stack = 0;
  std::vector<double> values;  // at the process's kept points
  uint64_t previous = 0;       // at the previous dump read
  uint64_t first = 0, last = 0, max = 0, mid = 0;
  uint64_t last_count = 0, last_sampled_count = 0;  // live allocations at the last dump
  SiteAges last_ages;
  uint32_t grew = 0, shrank = 0;
  // The site's cumulative sampled counters at the first, middle and last dump (zero before the
  // site first appeared: it had no sample then).
  struct Counters {
    uint64_t allocs = 0, frees = 0;
    uint64_t alloc_est_bytes = 0, free_est_bytes = 0;
  } first_counters, mid_counters, last_counters;
};

// A site's live figures in the dump being added.
struct Live {
  uint64_t bytes = 0;  // estimated
  uint64_t count = 0;  // estimated
  uint64_t sampled_count = 0;
  Series::Counters counters;
  SiteAges ages;
};

SampleEvents EventsBetween(const Series::Counters& from, const Series::Counters& mid,
                           const Series::Counters& to) {
  SampleEvents e;
  // Counters only grow within a process; guard anyway, a corrupt dump must not wrap them.
  auto delta = [](uint64_t later, uint64_t earlier) {
    return later > earlier ? later - earlier : 0;
  };
  e.births = delta(to.allocs, from.allocs);
  e.deaths = delta(to.frees, from.frees);
  e.late_births = delta(to.allocs, mid.allocs);
  e.late_deaths = delta(to.frees, mid.frees);
  e.birth_est_bytes = static_cast<double>(delta(to.alloc_est_bytes, from.alloc_est_bytes));
  e.death_est_bytes = static_cast<double>(delta(to.free_est_bytes, from.free_est_bytes));
  return e;
}

class ProcessSeries {
 public:
  // `symbolizer_lock` serializes the use of the symbolizer, which other processes' series share.
  ProcessSeries(Symbolizer* symbolizer, std::mutex* symbolizer_lock, size_t planned_dumps)
      : symbolizer_(symbolizer),
        symbolizer_lock_(symbolizer_lock),
        mid_index_((planned_dumps - 1) / 2) {}

  // `attempt` is the index of the file in the process's series (read or not). With `stacks`,
  // also says the stack of each of the dump's sites and streams.
  void Add(const Dump& dump, size_t attempt, DumpStacks* stacks) {
    // Built on the first site the cache does not know: after a process's first dump most dumps
    // need no symbolizing at all, so workers rarely wait for each other here.
    std::optional<Symbolizer::DumpView> view;
    current_.assign(series_.size(), Live{});
    if (stacks != nullptr) {
      stacks->sites.clear();
      stacks->streams.clear();
      stack_of_site_.clear();
    }
    // A site's stack is symbolized against the dump's modules. A dump can name a stack whose
    // module it does not list yet (a library loaded while the dump was being written: its PCs
    // then read as JVM code), so a cached stack holds only while the module list is the one it
    // was symbolized with; it changes rarely after start-up.
    const size_t modules = ModuleFingerprint(dump);
    for (const SiteInfo& site : dump.sites) {
      size_t hash = std::hash<std::string_view>{}(std::string_view(
                        reinterpret_cast<const char*>(site.pcs.data()), site.pcs.size() * 8)) ^
                    (site.epoch_known ? 0x9e3779b97f4a7c15ull * (site.epoch + 1ull) : 0) ^ modules;
      uint32_t local;
      auto cached = site_cache_.find(site.fixed.site_id);
      if (cached != site_cache_.end() && cached->second.first == hash) {
        local = cached->second.second;
      } else {
        std::lock_guard<std::mutex> lock(*symbolizer_lock_);
        if (!view) view = symbolizer_->View(dump);
        local = LocalSeries(symbolizer_->StackOf(*view, site));
        site_cache_[site.fixed.site_id] = {hash, local};
      }
      if (stacks != nullptr) {
        stacks->sites.push_back(series_[local].stack);
        if (!dump.streams.empty())
          stack_of_site_.try_emplace(site.fixed.site_id, stacks->sites.back());
      }
      current_[local].bytes += site.live_est_bytes();
      current_[local].count += site.live_est_count();
      current_[local].sampled_count += site.live_count();
      Series::Counters& c = current_[local].counters;
      c.allocs += site.fixed.alloc_count;
      c.frees += site.fixed.free_count;
      c.alloc_est_bytes += site.fixed.alloc_est_bytes;
      c.free_est_bytes += site.fixed.free_est_bytes;
      current_[local].ages.Merge(SiteAges::Of(site));
    }
    if (stacks != nullptr) StreamStacks(dump, &view, stacks);
    sample_bytes_ = dump.settings.sample_bytes;

    double minutes = static_cast<double>(dump.process.fixed.time_monotonic_ns) / 60e9;
    bool keep = read_ % stride_ == 0;
    if (keep && times_.size() == kMaxPoints) {
      // Thin every series to every other point and halve the sampling rate from now on.
      Compact(&times_);
      for (Series& s : series_) Compact(&s.values);
      stride_ *= 2;
      keep = read_ % stride_ == 0;
    }
    if (keep) times_.push_back(minutes);
    bool at_mid = !mid_taken_ && attempt >= mid_index_;
    mid_taken_ = mid_taken_ || at_mid;
    for (size_t i = 0; i < series_.size(); ++i) {
      Series& s = series_[i];
      uint64_t value = current_[i].bytes;
      s.last_count = current_[i].count;
      s.last_sampled_count = current_[i].sampled_count;
      s.last_ages = current_[i].ages;
      if (keep) s.values.push_back(static_cast<double>(value));
      s.last_counters = current_[i].counters;
      if (at_mid) s.mid_counters = current_[i].counters;
      if (read_ == 0) {
        s.first = value;
        s.first_counters = current_[i].counters;
      } else if (value > s.previous) {
        ++s.grew;
      } else if (value < s.previous) {
        ++s.shrank;
      }
      if (at_mid) s.mid = value;
      s.previous = value;
      s.last = value;
      s.max = std::max(s.max, value);
    }
    last_time_ = minutes;
    last_kept_ = keep;
    ++read_;
  }

  uint32_t read() const { return read_; }

  void Finish(const TrendOptions& options, std::vector<SiteTrend>* out) {
    uint32_t intervals = read_ == 0 ? 0 : read_ - 1;
    std::vector<double> x, y;
    for (Series& s : series_) {
      if (s.max == 0) continue;
      x.assign(times_.begin(), times_.end());
      y.assign(s.values.begin(), s.values.end());
      if (!last_kept_) {
        x.push_back(last_time_);
        y.push_back(static_cast<double>(s.last));
      }
      SiteTrend t;
      t.stack = s.stack;
      // Sampled sites are ranked by their net estimated growth below: the robust slope, the
      // quadratic part of reading a long series, is computed only where it is used.
      if (sample_bytes_ <= 1) t.slope_bytes_per_min = TheilSenSlope(x, y);
      t.intervals = intervals;
      t.grew = s.grew;
      t.shrank = s.shrank;
      t.first_live_bytes = s.first;
      t.last_live_bytes = s.last;
      t.last_live_count = s.last_count;
      t.last_sampled_live_count = s.last_sampled_count;
      t.last_ages = s.last_ages;
      t.max_live_bytes = s.max;
      t.grew_late = s.last > s.mid;
      t.exact = sample_bytes_ <= 1;
      t.sample_bytes = sample_bytes_;
      t.events = EventsBetween(s.first_counters, s.mid_counters, s.last_counters);
      if (t.exact) {
        t.suspect = intervals >= 1 && t.slope_bytes_per_min > 0 &&
                    s.last >= s.first + options.min_growth_bytes &&
                    s.shrank <= options.max_shrink_fraction * intervals &&
                    s.grew >= std::min(options.min_grew_intervals, intervals) &&
                    (intervals < 3 || t.grew_late);
      } else {
        t.evidence = WeighGrowth(t.events, sample_bytes_);
        t.suspect = intervals >= 1 && t.evidence.verdict == GrowthVerdict::kSignificant;
        // A step function of a few samples has a robust slope of 0: rank sampled sites by their
        // net estimated growth over the window instead.
        double minutes = x.size() >= 2 ? x.back() - x.front() : 0;
        t.slope_bytes_per_min = minutes > 0 ? t.evidence.growth_bytes / minutes : 0;
      }
      out->push_back(t);
    }
    std::stable_sort(out->begin(), out->end(), [](const SiteTrend& a, const SiteTrend& b) {
      return a.slope_bytes_per_min > b.slope_bytes_per_min;
    });
  }

 private:
  // Tells module lists apart: the address ranges and mapping epochs of the dump's modules.
  static size_t ModuleFingerprint(const Dump& dump) {
    size_t h = dump.modules.size();
    for (const ModuleInfo& m : dump.modules) {
      for (uint64_t v : {m.fixed.start, m.fixed.end, uint64_t{m.epochs.loaded_epoch},
                         uint64_t{m.epochs.unloaded_epoch}, uint64_t{m.fixed.flags}}) {
        h = (h ^ v) * 0x100000001b3ull;
      }
    }
    return h;
  }

  // The stack of each stream record's site: the site's in this dump, else (a stream whose site
  // record is missing) the symbolizer's stack of an unknown site, as BuildReport does.
  void StreamStacks(const Dump& dump, std::optional<Symbolizer::DumpView>* view,
                    DumpStacks* stacks) {
    for (const format::StreamsFixed& streams : dump.streams) {
      if (auto it = stack_of_site_.find(streams.site_id); it != stack_of_site_.end()) {
        stacks->streams.push_back(it->second);
        continue;
      }
      std::lock_guard<std::mutex> lock(*symbolizer_lock_);
      if (!*view) *view = symbolizer_->View(dump);
      SiteInfo unknown;
      unknown.fixed.site_id = streams.site_id;
      stacks->streams.push_back(symbolizer_->StackOf(**view, unknown));
    }
  }

  uint32_t LocalSeries(uint32_t stack) {
    auto [it, inserted] = local_of_stack_.try_emplace(stack, series_.size());
    if (inserted) {
      Series s;
      s.stack = stack;
      // Before its first appearance the site held nothing.
      s.values.assign(times_.size(), 0.0);
      series_.push_back(std::move(s));
      current_.push_back(Live{});
    }
    return it->second;
  }

  static void Compact(std::vector<double>* v) {
    size_t kept = 0;
    for (size_t i = 0; i < v->size(); i += 2) (*v)[kept++] = (*v)[i];
    v->resize(kept);
  }

  Symbolizer* symbolizer_;
  std::mutex* symbolizer_lock_;
  size_t mid_index_;
  bool mid_taken_ = false;
  std::vector<Series> series_;
  std::vector<Live> current_;
  absl::flat_hash_map<uint32_t, uint32_t> local_of_stack_;
  // site id -> (hash of its PCs, local series): skips symbolizing a stack seen in earlier dumps.
  absl::flat_hash_map<uint32_t, std::pair<size_t, uint32_t>> site_cache_;
  absl::flat_hash_map<uint32_t, uint32_t>
      stack_of_site_;  // this dump's site id -> stack, for streams
  std::vector<double> times_;
  uint32_t stride_ = 1;
  uint32_t read_ = 0;
  double last_time_ = 0;
  bool last_kept_ = true;
  uint64_t sample_bytes_ = 1;  // of the last dump read (one process records with one setting)
};

// Sampled sites that grew without being significant come after the suspects: growth that did not
// stop first; then sites none of whose samples was freed (a leak's signature: a site that freed
// samples has shown turnover, as caches and working sets do); then by the strength of the
// evidence, then by growth.
bool StrongerPossibleGrowth(const SuspectTrend& a, const SuspectTrend& b) {
  if (a.evidence.stopped != b.evidence.stopped) return !a.evidence.stopped;
  bool a_kept = a.events.deaths == 0, b_kept = b.events.deaths == 0;
  if (a_kept != b_kept) return a_kept;
  if (a.evidence.p_value != b.evidence.p_value) return a.evidence.p_value < b.evidence.p_value;
  return a.growth_bytes_per_min > b.growth_bytes_per_min;
}

// What reading one process's series gives: its trend, and one line per file it could not use.
struct ProcessOutcome {
  ProcessTrend process;
  std::vector<std::string> errors;
};

// The state the workers share. Everything else a worker touches is its own process's.
struct SharedReading {
  Symbolizer* symbolizer;
  std::mutex symbolizer_lock;
  std::mutex progress_lock;  // progress() is called by one worker at a time, with rising counts
  size_t done = 0;           // files handled, under progress_lock
  size_t total = 0;
  const std::function<void(size_t, size_t)>* progress;

  void Handled(size_t files) {
    if (*progress == nullptr) return;
    std::lock_guard<std::mutex> lock(progress_lock);
    done += files;
    (*progress)(done, total);
  }
};

// Asks the kernel to start reading `path` into the page cache, and returns at once: the next dump
// of a series then arrives from the disk while this one is parsed. A day of a fleet's dumps is
// more than the page cache holds, so without it each worker waits for every file in turn.
void Prefetch(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return;  // the read proper reports what is wrong with the file
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  ::close(fd);
}

// Reads the dumps of one process in seq order. `index` is the process's place among those read
// (on_dump's `process`).
ProcessOutcome ReadProcess(const std::vector<DumpEntry>& entries, const TrendOptions& options,
                           size_t index, SharedReading* shared, const TrendDumpCallback& on_dump) {
  ProcessOutcome outcome;
  ProcessTrend& process = outcome.process;
  process.pid = entries[0].process.fixed.pid;
  process.instance_id = entries[0].process.fixed.instance_id;
  ProcessSeries series(shared->symbolizer, &shared->symbolizer_lock, entries.size());
  DumpStacks stacks;
  // The last file read whole: a copy of the same seq is a duplicate only of a file that could
  // be read, so a truncated copy sorted first does not hide the complete one.
  const DumpEntry* last_read = nullptr;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 < entries.size()) Prefetch(entries[i + 1].path);
    Dump dump;
    std::string error;
    bool ok = ReadDumpFile(entries[i].path, &dump, &error);
    if (ok && last_read != nullptr && dump.process.fixed.seq == last_read->process.fixed.seq) {
      ok = false;
      error =
          absl::StrCat(entries[i].path, ": same process and seq as ", last_read->path, "; skipped");
    }
    if (ok) {
      if (std::string why =
              ForeignMachineError(dump.process, shared->symbolizer->options().resolver);
          !why.empty()) {
        ok = false;
        error = absl::StrCat(entries[i].path, ": ", why, "; skipped");
      }
    }
    if (!ok) {
      outcome.errors.push_back(error);
    } else {
      last_read = &entries[i];
      series.Add(dump, i, on_dump ? &stacks : nullptr);
      const format::ProcessFixed& p = dump.process.fixed;
      if (process.dumps == 0) {
        process.host = dump.process.host;
        process.executable = dump.process.executable;
        process.first_seq = p.seq;
        process.first_time_ns = p.time_monotonic_ns;
        process.first_rss = dump.memory.rss_bytes;
      }
      ++process.dumps;
      process.last_seq = p.seq;
      process.last_time_ns = p.time_monotonic_ns;
      process.last_rss = dump.memory.rss_bytes;
      process.last_java = dump.java;
      process.recorder_version = dump.recorder_version;
      if (!dump.label.empty()) {
        process.labels.push_back({.seq = p.seq,
                                  .time_ns = p.time_monotonic_ns - process.first_time_ns,
                                  .time_unix_ns = p.time_unix_ns,
                                  .label = dump.label});
      }
      process.last_live_bytes = 0;
      process.last_live_count = 0;
      for (const SiteInfo& site : dump.sites) {
        process.last_live_bytes += site.live_est_bytes();
        process.last_live_count += site.live_est_count();
      }
      if (on_dump) on_dump(index, entries[i], dump, stacks);
    }
    shared->Handled(1);
  }
  if (process.dumps > 0) series.Finish(options, &process.sites);
  return outcome;
}

// Adds one process's sites to the sites across processes. Called in process order whatever
// the number of workers, so that the ranking's ties fall the same way every time.
class SiteMerger {
 public:
  explicit SiteMerger(TrendResult* result) : result_(result) {}

  void Add(ProcessOutcome outcome) {
    for (std::string& e : outcome.errors) result_->errors.push_back(std::move(e));
    ProcessTrend& process = outcome.process;
    if (process.dumps == 0) return;
    result_->dumps_read += process.dumps;
    for (const SiteTrend& t : process.sites) {
      auto [it, inserted] = by_stack_.try_emplace(t.stack, result_->sites.size());
      if (inserted) {
        result_->sites.emplace_back();
        result_->sites.back().stack = t.stack;
      }
      SuspectTrend& s = result_->sites[it->second];
      s.growth_bytes_per_min += t.slope_bytes_per_min;
      s.live_bytes_last += t.last_live_bytes;
      s.live_count_last += t.last_live_count;
      s.sampled_live_count_last += t.last_sampled_live_count;
      s.last_ages.Merge(t.last_ages);
      s.intervals += t.intervals;
      s.grew += t.grew;
      s.shrank += t.shrank;
      s.processes_seen += 1;
      s.processes += t.suspect ? 1 : 0;
      s.suspect = s.suspect || t.suspect;
      if (!t.exact) {
        s.sampled = true;
        s.events += t.events;
        s.sample_bytes = std::max(s.sample_bytes, t.sample_bytes);
        if (t.events.births > t.events.deaths) grew_in_[it->second] += 1;
      }
    }
    result_->processes.push_back(std::move(process));
  }

  // Once every process is in.
  void Finish() {
    TrendResult& result = *result_;
    for (size_t i = 0; i < result.sites.size(); ++i) {
      SuspectTrend& s = result.sites[i];
      if (!s.sampled) continue;
      s.evidence = WeighGrowth(s.events, s.sample_bytes);
      if (!s.suspect && s.evidence.verdict == GrowthVerdict::kSignificant) {
        // Significant only pooled: count the processes whose samples grew.
        s.suspect = true;
        s.processes = grew_in_[i];
      }
    }
    std::stable_sort(result.sites.begin(), result.sites.end(),
                     [](const SuspectTrend& a, const SuspectTrend& b) {
                       if (a.growth_bytes_per_min != b.growth_bytes_per_min) {
                         return a.growth_bytes_per_min > b.growth_bytes_per_min;
                       }
                       return a.live_bytes_last > b.live_bytes_last;
                     });
    for (const SuspectTrend& s : result.sites) {
      if (s.suspect) {
        result.suspects.push_back(s);
      } else if (s.sampled && s.evidence.verdict == GrowthVerdict::kPossible) {
        result.possible.push_back(s);
      }
    }
    std::stable_sort(result.possible.begin(), result.possible.end(), StrongerPossibleGrowth);
  }

 private:
  TrendResult* result_;
  absl::flat_hash_map<uint32_t, size_t> by_stack_;
  absl::flat_hash_map<size_t, uint32_t> grew_in_;  // site index -> sampled processes it grew in
};

}  // namespace

unsigned TrendWorkers(const TrendOptions& options, size_t processes) {
  unsigned jobs = options.jobs;
  if (jobs == 0) jobs = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(jobs, processes)));
}

TrendResult AnalyzeTrend(const std::vector<std::string>& files, const TrendOptions& options,
                         Symbolizer* symbolizer,
                         const std::function<void(size_t, size_t)>& progress,
                         const TrendDumpCallback& on_dump) {
  TrendResult result;
  std::vector<std::vector<DumpEntry>> groups = GroupDumpsByProcess(files, &result.errors);
  SharedReading shared;
  shared.symbolizer = symbolizer;
  shared.total = files.size();
  shared.progress = &progress;
  shared.Handled(result.errors.size());  // unreadable headers count as done

  std::vector<const std::vector<DumpEntry>*> kept;
  for (const std::vector<DumpEntry>& entries : groups) {
    if (!options.processes.empty()) {
      const std::string& executable = entries[0].process.executable;
      std::string name = executable.substr(executable.rfind('/') + 1);
      if (!NameInList(options.processes.c_str(), name.c_str())) {
        ++result.processes_left_out;
        result.dumps_left_out += static_cast<uint32_t>(entries.size());
        shared.Handled(entries.size());
        continue;
      }
    }
    kept.push_back(&entries);
  }

  SiteMerger merger(&result);
  unsigned workers = TrendWorkers(options, kept.size());
  if (workers == 1) {
    for (size_t i = 0; i < kept.size(); ++i) {
      merger.Add(ReadProcess(*kept[i], options, i, &shared, on_dump));
    }
  } else {
    // Each worker reads whole processes, taking the next one not yet taken; the outcomes are
    // merged in process order once all are in. Memory: one dump per worker at a time, plus the
    // per-site figures of each process (what the result keeps anyway).
    std::vector<ProcessOutcome> outcomes(kept.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < kept.size(); i = next++) {
        outcomes[i] = ReadProcess(*kept[i], options, i, &shared, on_dump);
      }
    };
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < workers; ++w) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    for (ProcessOutcome& outcome : outcomes) merger.Add(std::move(outcome));
  }
  merger.Finish();
  return result;
}

}  // namespace leakscope::analyzer

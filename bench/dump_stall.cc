// SPDX-License-Identifier: Apache-2.0
// dump_stall: what a dump costs the recorder and whether it stalls the program (issue 5, part 5).
// Runs under libleakscope.so with LEAKSCOPE_SAMPLE_BYTES=1 (every allocation recorded),
// LEAKSCOPE_INTERVAL=0, LEAKSCOPE_DIR set and LEAKSCOPE_MAX_LIVE above --live.
//
// 1. Builds --stacks distinct call stacks holding --live live allocations between them. A stack is
//    a path through a table of 16 distinct functions, four calls deep, each call made through the
//    table: the return address in each frame names the function, so path number s (its four
//    base-16 digits) gives a return-address chain no other path has; 16^4 = 65536 paths. --pad
//    frames of plain recursion come first, so stacks are as deep as real ones.
// 2. Starts the latency thread: malloc(32)+free in a tight loop, clock_gettime around each pair,
//    every latency into one of two histograms: during a dump or outside one. Pairs slower than
//    5 us are also classed by the thread's context switches meanwhile (SlowPairs), so that a
//    stall the recorder causes can be told from the scheduler running someone else.
// 3. Requests --dumps dumps, one after the other, by creating <dir>/leakscope.<pid>.trigger.
//
// How a dump is timed. The dumper (preload/dumper.cc) creates `.leakscope.<pid>.<seq>.dump.tmp`
// just before it builds the dump, and renames it to `leakscope.<pid>.<seq>.dump` when it is
// written. An inotify watch on the directory sees both; the latency thread reads it
// (non-blocking, outside its timed region) every 50 us, so it also knows at once whether a pair
// it times falls in a dump. Wall time = rename seen - creation seen: no trigger-polling delay in
// it, +-50 us. CPU time = the dumper thread's CPU clock (clock_gettime on its per-thread clock,
// in ns) read before the trigger is created and after the rename: the dump's own work whatever
// the scheduler did, plus one trigger poll (a couple of system calls).
//
// Usage: dump_stall [--stacks N] [--live N] [--dumps N] [--pad FRAMES] [--size BYTES]
//                   [--settle-ms MS]
// Prints key=value lines (main and PrintHistogram); exit status 1 when not run under the recorder
// or a dump did not come, 2 on a bad argument.

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "parse_count.h"

namespace {

struct Options {
  uint64_t stacks = 50'000;
  uint64_t live = 500'000;
  uint64_t dumps = 5;
  uint64_t pad = 20;
  uint64_t size = 32;
  uint64_t settle_ms = 1000;  // latency measured outside dumps before and after them
};

inline void Escape(void* p) { asm volatile("" : : "r"(p) : "memory"); }

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

[[noreturn]] void Die(const char* format, const char* detail = "") {
  fprintf(stderr, "dump_stall: ");
  fprintf(stderr, format, detail);
  fprintf(stderr, "\n");
  exit(1);
}

// ---------------------------------------------------------------------------------------------
// Distinct stacks.

constexpr int kFanout = 16;
constexpr int kLevels = 4;  // kFanout^kLevels paths

struct Walk {
  int digits[kLevels];
  uint64_t blocks;  // to allocate at the leaf
  uint64_t size;
  void** out;  // where the blocks go (an mmap'ed array: not itself a recorded allocation)
  uint64_t stored;
  uint64_t trail;
};

__attribute__((noinline)) void AllocateLeaf(Walk* w) {
  for (uint64_t i = 0; i < w->blocks; ++i) {
    void* p = malloc(w->size);
    if (p == nullptr) abort();
    memset(p, 0x5a, w->size);
    w->out[w->stored++] = p;
  }
}

using StepFn = void (*)(Walk*, int);
template <int K>
void Step(Walk* w, int level);

template <int... K>
constexpr auto MakeSteps(std::integer_sequence<int, K...>) {
  return std::array<StepFn, sizeof...(K)>{&Step<K>...};
}
constexpr auto kSteps = MakeSteps(std::make_integer_sequence<int, kFanout>{});

// Sixteen functions with different bodies (the constant K), so no identical-code folding merges
// them; the barrier after the call keeps it a call (a tail jump would drop this frame).
template <int K>
__attribute__((noinline)) void Step(Walk* w, int level) {
  w->trail = w->trail * 31 + K;
  if (level == kLevels) {
    AllocateLeaf(w);
  } else {
    kSteps[w->digits[level]](w, level + 1);
  }
  asm volatile("" : : "r"(w) : "memory");
}

__attribute__((noinline)) void Pad(uint64_t frames, const Options& options, void** out) {
  if (frames > 0) {
    Pad(frames - 1, options, out);
    asm volatile("" ::: "memory");
    return;
  }
  Walk w{};
  w.size = options.size;
  w.out = out;
  for (uint64_t s = 0; s < options.stacks; ++s) {
    uint64_t path = s;
    for (int level = 0; level < kLevels; ++level, path /= kFanout) {
      w.digits[level] = static_cast<int>(path % kFanout);
    }
    w.blocks = options.live / options.stacks + (s < options.live % options.stacks ? 1 : 0);
    kSteps[w.digits[0]](&w, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Latency histogram: log-linear buckets (16 per power of two, ~4% wide), no allocation.

class Histogram {
 public:
  void Add(uint64_t ns) {
    ++count_;
    if (ns > max_) max_ = ns;
    ++buckets_[Bucket(ns)];
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  // The upper edge of the bucket holding the q-quantile (an over-estimate by at most ~4%).
  uint64_t Quantile(double q) const {
    if (count_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (rank == 0) rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
      seen += buckets_[b];
      if (seen >= rank) return std::min(UpperEdge(b), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSub = 16;
  static constexpr int kBuckets = 64 * kSub;
  static int Bucket(uint64_t ns) {
    if (ns < kSub) return static_cast<int>(ns);
    int log = 63 - __builtin_clzll(ns);  // >= 4
    int sub = static_cast<int>((ns >> (log - 4)) & (kSub - 1));
    return (log - 3) * kSub + sub;
  }
  static uint64_t UpperEdge(int bucket) {
    if (bucket < kSub) return static_cast<uint64_t>(bucket);
    int log = bucket / kSub + 3;
    uint64_t sub = static_cast<uint64_t>(bucket % kSub);
    return ((kSub + sub + 1) << (log - 4)) - 1;
  }
  uint64_t buckets_[kBuckets] = {};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The latency thread and the dump watch.

struct DumpTimes {
  int64_t created_ns = 0;  // the temporary appeared
  int64_t renamed_ns = 0;  // the final name appeared
};

// Slow pairs by what the thread did meanwhile, from its context-switch counters (getrusage
// RUSAGE_THREAD, read after every pair slower than kSlowNs): a pair that ran throughout stalled
// on the CPU (work, page faults, spinning); a voluntary switch means it blocked (a lock, I/O);
// an involuntary one that the scheduler gave its CPU to another thread (on a busy machine, most
// long pairs). A stall the recorder causes is in the first two; the third is the machine's.
struct SlowPairs {
  uint64_t running_max_ns = 0;
  uint64_t blocked_count = 0;
  uint64_t blocked_max_ns = 0;
  uint64_t preempted_count = 0;
  uint64_t preempted_max_ns = 0;
};
constexpr int64_t kSlowNs = 5'000;

struct Shared {
  int inotify_fd = -1;
  std::string pid_prefix;  // "leakscope.<pid>."
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> renamed{0};  // dumps completed (seen by the watch)
  DumpTimes times[64];               // by seq, written by the latency thread before `renamed`
  Histogram during;
  Histogram outside;
  SlowPairs during_slow;
  SlowPairs outside_slow;
  int64_t during_ns = 0;  // time spent timing pairs in each state
  int64_t outside_ns = 0;
  uint64_t pairs_total = 0;
};

// Seq of "leakscope.<pid>.<seq>.dump" (or of the temporary, with its leading dot and ".tmp").
bool ParseSeq(const char* name, const std::string& prefix, bool temporary, uint64_t* seq) {
  if (temporary) {
    if (*name != '.') return false;
    ++name;
  }
  if (strncmp(name, prefix.c_str(), prefix.size()) != 0) return false;
  char* end;
  unsigned long long value = strtoull(name + prefix.size(), &end, 10);
  if (end == name + prefix.size()) return false;
  if (strcmp(end, temporary ? ".dump.tmp" : ".dump") != 0) return false;
  *seq = value;
  return true;
}

// Reads whatever the watch has; returns whether a dump is in progress after these events.
bool DrainWatch(Shared* shared, bool in_dump, int64_t now) {
  alignas(inotify_event) char buffer[4096];
  for (;;) {
    ssize_t n = read(shared->inotify_fd, buffer, sizeof(buffer));
    if (n <= 0) return in_dump;  // EAGAIN: nothing more
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->len == 0) continue;
      uint64_t seq;
      if ((event->mask & IN_CREATE) && ParseSeq(event->name, shared->pid_prefix, true, &seq)) {
        if (seq < 64) shared->times[seq].created_ns = now;
        in_dump = true;
      } else if ((event->mask & IN_MOVED_TO) &&
                 ParseSeq(event->name, shared->pid_prefix, false, &seq)) {
        if (seq < 64) shared->times[seq].renamed_ns = now;
        in_dump = false;
        shared->renamed.fetch_add(1, std::memory_order_release);
      }
    }
  }
}

void ContextSwitches(long* voluntary, long* involuntary) {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  *voluntary = usage.ru_nvcsw;
  *involuntary = usage.ru_nivcsw;
}

void LatencyLoop(Shared* shared, uint64_t size) {
  constexpr int64_t kWatchEveryNs = 50'000;
  bool in_dump = false;
  long voluntary, involuntary;
  ContextSwitches(&voluntary, &involuntary);
  int64_t last_watch = NowNs();
  int64_t t0 = NowNs();
  uint64_t pairs = 0;
  while (!shared->stop.load(std::memory_order_relaxed)) {
    void* p = malloc(size);
    Escape(p);
    free(p);
    int64_t t1 = NowNs();
    uint64_t latency = static_cast<uint64_t>(t1 - t0);
    (in_dump ? shared->during : shared->outside).Add(latency);
    (in_dump ? shared->during_ns : shared->outside_ns) += static_cast<int64_t>(latency);
    ++pairs;
    bool untimed_work = false;
    if (latency >= kSlowNs) {
      // A switch too short to make its pair slow is counted with the next slow pair: rare, and
      // it can only move a pair from "running" to a switched class.
      long v, iv;
      ContextSwitches(&v, &iv);
      SlowPairs& slow = in_dump ? shared->during_slow : shared->outside_slow;
      if (iv != involuntary) {
        ++slow.preempted_count;
        slow.preempted_max_ns = std::max(slow.preempted_max_ns, latency);
      } else if (v != voluntary) {
        ++slow.blocked_count;
        slow.blocked_max_ns = std::max(slow.blocked_max_ns, latency);
      } else {
        slow.running_max_ns = std::max(slow.running_max_ns, latency);
      }
      voluntary = v;
      involuntary = iv;
      untimed_work = true;
    }
    if (t1 - last_watch >= kWatchEveryNs) {
      in_dump = DrainWatch(shared, in_dump, t1);
      last_watch = t1;
      // The read() never blocks (IN_NONBLOCK); fresh counters all the same, so that nothing
      // outside the timed pairs is charged to the next one.
      ContextSwitches(&voluntary, &involuntary);
      untimed_work = true;
    }
    // Neither the read() nor getrusage() is part of any pair's latency.
    t0 = untimed_work ? NowNs() : t1;
  }
  shared->pairs_total = pairs;
}

// ---------------------------------------------------------------------------------------------
// The dumper thread.

pid_t FindDumperThread() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  pid_t found = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    std::string path = std::string("/proc/self/task/") + entry->d_name + "/comm";
    FILE* f = fopen(path.c_str(), "r");
    if (f == nullptr) continue;
    char comm[32] = {};
    if (fgets(comm, sizeof(comm), f) != nullptr && strncmp(comm, "leakscope-dump", 14) == 0) {
      found = static_cast<pid_t>(atoi(entry->d_name));
    }
    fclose(f);
  }
  closedir(dir);
  return found;
}

// The kernel's per-thread CPU clock of any thread of this process (what pthread_getcpuclockid
// returns for a pthread_t we do not have): MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED).
int64_t ThreadCpuNs(pid_t tid) {
  clockid_t clock = static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6);
  timespec ts;
  if (clock_gettime(clock, &ts) != 0) Die("cannot read the dumper thread's CPU clock");
  return ts.tv_sec * 1'000'000'000ll + ts.tv_nsec;
}

// The dumper's context switches so far (from /proc): {voluntary, involuntary}.
std::pair<long, long> ThreadSwitches(pid_t tid) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/status";
  FILE* f = fopen(path.c_str(), "r");
  long voluntary = -1, involuntary = -1;
  if (f == nullptr) return {voluntary, involuntary};
  char line[256];
  while (fgets(line, sizeof(line), f) != nullptr) {
    sscanf(line, "voluntary_ctxt_switches: %ld", &voluntary);
    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &involuntary);
  }
  fclose(f);
  return {voluntary, involuntary};
}

// ---------------------------------------------------------------------------------------------

using leakscope::bench::ParseCount;

[[noreturn]] void Usage(const char* why) {
  fprintf(stderr,
          "dump_stall: %s\nusage: dump_stall [--stacks N] [--live N] [--dumps N] [--pad FRAMES] "
          "[--size BYTES] [--settle-ms MS]\n",
          why);
  exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i += 2) {
    uint64_t* target = nullptr;
    if (strcmp(argv[i], "--stacks") == 0) target = &options.stacks;
    if (strcmp(argv[i], "--live") == 0) target = &options.live;
    if (strcmp(argv[i], "--dumps") == 0) target = &options.dumps;
    if (strcmp(argv[i], "--pad") == 0) target = &options.pad;
    if (strcmp(argv[i], "--size") == 0) target = &options.size;
    if (strcmp(argv[i], "--settle-ms") == 0) target = &options.settle_ms;
    if (target == nullptr) Usage("unknown argument");
    if (i + 1 >= argc || !ParseCount(argv[i + 1], target)) Usage("expected a number");
  }
  uint64_t paths = 1;
  for (int i = 0; i < kLevels; ++i) paths *= kFanout;
  if (options.stacks == 0 || options.stacks > paths) Usage("--stacks must be 1..65536");
  if (options.live < options.stacks) Usage("--live must be at least --stacks");
  if (options.dumps == 0 || options.dumps > 60) Usage("--dumps must be 1..60");
  if (options.pad > 1000) Usage("--pad must be at most 1000");
  if (options.size == 0) Usage("--size must be at least 1");
  return options;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void PrintHistogram(const char* name, const Histogram& h, int64_t timed_ns, const SlowPairs& slow) {
  printf("%s_pairs=%" PRIu64 "\n", name, h.count());
  printf("%s_seconds=%.3f\n", name, static_cast<double>(timed_ns) / 1e9);
  printf("%s_median_us=%.3f\n", name, static_cast<double>(h.Quantile(0.5)) / 1e3);
  printf("%s_p99_us=%.3f\n", name, static_cast<double>(h.Quantile(0.99)) / 1e3);
  printf("%s_p999_us=%.3f\n", name, static_cast<double>(h.Quantile(0.999)) / 1e3);
  printf("%s_max_us=%.3f\n", name, static_cast<double>(h.max()) / 1e3);
  printf("%s_running_max_us=%.3f\n", name, static_cast<double>(slow.running_max_ns) / 1e3);
  printf("%s_blocked_pairs=%" PRIu64 "\n", name, slow.blocked_count);
  printf("%s_blocked_max_us=%.3f\n", name, static_cast<double>(slow.blocked_max_ns) / 1e3);
  printf("%s_preempted_pairs=%" PRIu64 "\n", name, slow.preempted_count);
  printf("%s_preempted_max_us=%.3f\n", name, static_cast<double>(slow.preempted_max_ns) / 1e3);
}

void SleepMs(uint64_t ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseArgs(argc, argv);
  const char* dir = getenv("LEAKSCOPE_DIR");
  if (dir == nullptr || *dir == '\0') Die("set LEAKSCOPE_DIR (and run under libleakscope.so)");
  // The dumper names itself once running, which may be after main starts: wait for it a little.
  pid_t dumper = 0;
  for (int i = 0; i < 200 && (dumper = FindDumperThread()) == 0; ++i) SleepMs(10);
  if (dumper == 0) Die("no leakscope-dump thread: run under libleakscope.so with LEAKSCOPE_DIR");

  // 1. The stacks and the live allocations.
  size_t array_bytes = options.live * sizeof(void*);
  void* mapping =
      mmap(nullptr, array_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED) Die("mmap: %s", strerror(errno));
  int64_t build_start = NowNs();
  Pad(options.pad, options, static_cast<void**>(mapping));
  int64_t build_ns = NowNs() - build_start;
  printf("stacks=%" PRIu64 "\nlive=%" PRIu64 "\n", options.stacks, options.live);
  printf("stack_frames_at_leaf_malloc=%" PRIu64 "\n", options.pad + kLevels + 6);
  printf("build_ns_per_allocation=%.1f\n",
         static_cast<double>(build_ns) / static_cast<double>(options.live));

  // 2. The watch, then the latency thread.
  static Shared shared;
  shared.pid_prefix = "leakscope." + std::to_string(getpid()) + ".";
  shared.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (shared.inotify_fd < 0) Die("inotify_init1: %s", strerror(errno));
  if (inotify_add_watch(shared.inotify_fd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
    Die("inotify_add_watch: %s", strerror(errno));
  }
  std::thread latency(LatencyLoop, &shared, options.size);
  SleepMs(options.settle_ms);

  // 3. The dumps, one at a time.
  std::string trigger = std::string(dir) + "/leakscope." + std::to_string(getpid()) + ".trigger";
  std::vector<double> cpu_ms;
  std::vector<uint64_t> seqs;
  long voluntary = 0, involuntary = 0;
  for (uint64_t d = 0; d < options.dumps; ++d) {
    uint64_t before = shared.renamed.load(std::memory_order_acquire);
    int64_t cpu0 = ThreadCpuNs(dumper);
    std::pair<long, long> switches0 = ThreadSwitches(dumper);
    int fd = open(trigger.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) Die("cannot create the trigger: %s", strerror(errno));
    close(fd);
    int64_t deadline = NowNs() + 60'000'000'000ll;
    while (shared.renamed.load(std::memory_order_acquire) == before) {
      if (NowNs() > deadline) Die("no dump within 60 s of the trigger");
      SleepMs(1);
    }
    cpu_ms.push_back(static_cast<double>(ThreadCpuNs(dumper) - cpu0) / 1e6);
    std::pair<long, long> switches1 = ThreadSwitches(dumper);
    voluntary += switches1.first - switches0.first;
    involuntary += switches1.second - switches0.second;
    seqs.push_back(before);  // this process's dumps start at seq 0 and are written in order
  }
  SleepMs(options.settle_ms);
  shared.stop.store(true);
  latency.join();

  std::vector<double> wall_ms;
  for (uint64_t seq : seqs) {
    const DumpTimes& t = shared.times[seq < 64 ? seq : 63];
    if (t.created_ns == 0 || t.renamed_ns == 0) {
      wall_ms.push_back(NAN);  // the watch missed the temporary (an older dumper?)
    } else {
      wall_ms.push_back(static_cast<double>(t.renamed_ns - t.created_ns) / 1e6);
    }
  }
  printf("dumps=%zu\n", wall_ms.size());
  printf("dump_wall_ms=");
  for (size_t i = 0; i < wall_ms.size(); ++i) printf("%s%.2f", i ? "," : "", wall_ms[i]);
  printf("\ndump_cpu_ms=");
  for (size_t i = 0; i < cpu_ms.size(); ++i) printf("%s%.2f", i ? "," : "", cpu_ms[i]);
  printf("\ndump_wall_median_ms=%.2f\ndump_cpu_median_ms=%.2f\n", Median(wall_ms), Median(cpu_ms));
  // Over all dumps, from before each trigger to after its rename. Voluntary ones include the
  // dumper's trigger-poll sleeps (one or two per dump); the rest are waits inside the dump.
  printf("dumper_voluntary_switches=%ld\ndumper_involuntary_switches=%ld\n", voluntary,
         involuntary);
  PrintHistogram("during", shared.during, shared.during_ns, shared.during_slow);
  PrintHistogram("outside", shared.outside, shared.outside_ns, shared.outside_slow);
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
#include "java_methods.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "dump_format.h"
#include "fork_gate.h"

namespace leakscope::recorder::java {
namespace {

// The ids seen so far: open addressing with linear probing, slots claimed with compare-and-swap,
// never removed. 2^17 slots (1 MiB of zero pages in .bss, touched only inside a JVM with the
// agent) hold the 98,304 distinct methods we let in before calling the table full: far more
// than the Java methods a process's recorded stacks name (a Spark executor: a few thousand).
constexpr uint32_t kSeenSlots = 1u << 17;
constexpr uint32_t kSeenMax = kSeenSlots / 4 * 3;
constexpr uint32_t kMaxProbes = 64;
constinit std::atomic<uint64_t> g_seen[kSeenSlots];
// First sightings in order; g_fresh_count slots claimed (each filled right after its claim).
constinit std::atomic<uint64_t> g_fresh[kSeenSlots];
constinit std::atomic<uint32_t> g_fresh_count{0};
constinit std::atomic<bool> g_seen_full{false};

constinit std::atomic<uint32_t> g_doorbell{0};
constinit std::atomic<bool> g_resolver_sleeping{false};

// Every critical section under it also runs inside a ForkSection (fork_gate.h): a fork child
// inherits it released and the cache whole.
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
// Allocated on first use under a guard and never freed: the exit dump runs from a destructor.
BulkMap<uint64_t, MethodInfo>* g_methods = nullptr;
uint32_t g_fresh_taken = 0;  // under g_mutex: the queue's consumer position

BulkMap<uint64_t, MethodInfo>& Methods() {
  if (g_methods == nullptr) g_methods = new BulkMap<uint64_t, MethodInfo>();
  return *g_methods;
}

uint32_t SeenSlot(uint64_t id) {
  return static_cast<uint32_t>((id * 0x9E3779B97F4A7C15ull) >> (64 - 17)) & (kSeenSlots - 1);
}
static_assert(kSeenSlots == 1u << 17, "SeenSlot takes 17 bits");

void Publish(uint64_t id) {
  uint32_t slot = g_fresh_count.fetch_add(1, std::memory_order_relaxed);
  if (slot >= kSeenSlots) {  // cannot happen while inserts stop at kSeenMax, but never overrun
    g_seen_full.store(true, std::memory_order_relaxed);
    return;
  }
  g_fresh[slot].store(id, std::memory_order_release);
  RingDoorbell();  // after the store: a resolver that found the slot empty is woken again
}

}  // namespace

void NoteMethod(const ReentrancyGuard&, uint64_t id) {
  if (id == 0) return;
  uint32_t slot = SeenSlot(id);
  for (uint32_t probe = 0; probe < kMaxProbes; ++probe, slot = (slot + 1) & (kSeenSlots - 1)) {
    uint64_t seen = g_seen[slot].load(std::memory_order_relaxed);
    if (seen == id) return;  // the common case: a method sampled before
    if (seen != 0) continue;
    if (g_fresh_count.load(std::memory_order_relaxed) >= kSeenMax) break;
    if (g_seen[slot].compare_exchange_strong(seen, id, std::memory_order_relaxed)) {
      Publish(id);
      return;
    }
    if (seen == id) return;  // another thread noted the same id first
  }
  // Full (or an unlucky run of probes): the resolver falls back to scanning every stack.
  if (!g_seen_full.exchange(true, std::memory_order_relaxed)) RingDoorbell();
}

BulkVector<uint64_t> TakeFreshMethodIds(const ReentrancyGuard& guard) {
  BulkVector<uint64_t> fresh;
  ForkSection section(guard);
  pthread_mutex_lock(&g_mutex);
  uint32_t end = g_fresh_count.load(std::memory_order_acquire);
  if (end > kSeenSlots) end = kSeenSlots;
  while (g_fresh_taken < end) {
    uint64_t id = g_fresh[g_fresh_taken].load(std::memory_order_acquire);
    if (id == 0) break;  // claimed but not filled yet
    if (Methods().count(id) == 0) fresh.push_back(id);
    ++g_fresh_taken;
  }
  pthread_mutex_unlock(&g_mutex);
  return fresh;
}

bool SeenTableFull() { return g_seen_full.load(std::memory_order_relaxed); }

RegionUsage MeasureSeenTables() {
  RegionUsage usage{sizeof(g_seen) + sizeof(g_fresh), 0};
  // Nothing noted (no agent, or no Java frame yet): both untouched, and left so (reading the
  // pages would map each one, if only to the zero page).
  if (g_fresh_count.load(std::memory_order_relaxed) == 0) return usage;
  usage.resident_bytes =
      NonZeroPageBytes(g_seen, kSeenSlots) + NonZeroPageBytes(g_fresh, kSeenSlots);
  return usage;
}

BulkVector<uint64_t> UnresolvedMethodIds(const ReentrancyGuard& guard, StackTable& stacks) {
  // Every stack: at most LEAKSCOPE_MAX_STACKS stacks of tagged words to test, a few
  // milliseconds at worst, once per dump (and once a second while the seen table is full).
  BulkSet<uint64_t> seen;
  stacks.ForEach([&](uint32_t, const uint64_t* pcs, uint32_t depth) {
    for (uint32_t i = 0; i < depth; ++i) {
      if (format::IsJavaFrame(pcs[i])) seen.insert(format::JavaFrameMethod(pcs[i]));
    }
  });
  BulkVector<uint64_t> unresolved;
  ForkSection section(guard);
  pthread_mutex_lock(&g_mutex);
  for (uint64_t id : seen) {
    if (Methods().count(id) == 0) unresolved.push_back(id);
  }
  pthread_mutex_unlock(&g_mutex);
  return unresolved;
}

void StoreMethod(const ReentrancyGuard& guard, MethodInfo info) {
  ForkSection section(guard);
  pthread_mutex_lock(&g_mutex);
  uint64_t id = info.method_id;
  // A name resolved earlier is never replaced by a later failure (the class has gone since).
  auto [it, inserted] = Methods().try_emplace(id);
  if (inserted || !it->second.resolved) it->second = std::move(info);
  pthread_mutex_unlock(&g_mutex);
}

BulkVector<MethodInfo> CachedMethods(const ReentrancyGuard& guard) {
  BulkVector<MethodInfo> copy;
  ForkSection section(guard);
  pthread_mutex_lock(&g_mutex);
  copy.reserve(Methods().size());
  for (const auto& [id, info] : Methods()) copy.push_back(info);
  pthread_mutex_unlock(&g_mutex);
  return copy;
}

uint32_t DoorbellValue() { return g_doorbell.load(std::memory_order_seq_cst); }

// The ringer writes the doorbell then reads the sleeping flag; the resolver writes the flag then
// reads the doorbell (both sequentially consistent): either the ringer sees the resolver asleep
// and wakes it, or the resolver sees the new value and does not sleep. FUTEX_WAIT compares the
// value in the kernel, so a wake between the resolver's check and its sleep is not lost.
void RingDoorbell() {
  g_doorbell.fetch_add(1, std::memory_order_seq_cst);
  if (g_resolver_sleeping.load(std::memory_order_seq_cst)) {
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_doorbell), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
}

void WaitForDoorbell(uint32_t seen, uint32_t timeout_ms) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");
  g_resolver_sleeping.store(true, std::memory_order_seq_cst);
  if (g_doorbell.load(std::memory_order_seq_cst) == seen) {
    timespec timeout{static_cast<time_t>(timeout_ms / 1000),
                     static_cast<long>(timeout_ms % 1000) * 1'000'000};
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&g_doorbell), FUTEX_WAIT_PRIVATE, seen, &timeout,
            nullptr, 0);
  }
  g_resolver_sleeping.store(false, std::memory_order_seq_cst);
}

}  // namespace leakscope::recorder::java

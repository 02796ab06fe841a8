// SPDX-License-Identifier: Apache-2.0
// Names of the Java methods seen in recorded stacks, resolved by the agent's resolver thread
// (a Java thread, so it may call JVMTI) and written into every dump by the dumper. Entries are
// kept for good: a class unloaded before a dump keeps the names resolved while it was loaded.
//
// A jmethodID goes stale when its class is unloaded, so names must be asked for while the class
// is still there. The hot path (a sampled allocation's stack walk) notes each method id in a
// lock-free table of ids seen so far; the first sighting of an id queues it and wakes the
// resolver, which names it within milliseconds. What stays racy: a class unloaded between the
// first sample naming one of its methods and the resolver's pass (docs/java-frames.md).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/bulk_memory.h"
#include "core/region.h"  // RegionUsage
#include "core/stack_table.h"
#include "thread_state.h"

namespace leakscope::recorder::java {

struct MethodInfo {
  uint64_t method_id = 0;
  bool resolved = false;        // false: the id was stale by the time we asked (class unloaded)
  std::string class_signature;  // JVM form: "Ljava/util/zip/Inflater;"
  std::string name;             // "<init>"
  std::string signature;        // "(Z)V"
  std::string source_file;      // "Inflater.java", or empty
  std::vector<std::pair<uint32_t, uint32_t>> lines;  // (start bci, line), ascending bci
};

// Hot path, any thread: notes a method id seen in a Java frame. No lock, no allocation, no
// JVMTI: a few probes in a fixed table; the first sighting of an id appends it to the fresh
// queue and rings the resolver's doorbell (a futex wake, only while the resolver sleeps).
void NoteMethod(const ReentrancyGuard& guard, uint64_t method_id);

// Resolver: the ids first seen since the last call that are not cached yet, oldest first. An id
// whose writer has claimed a queue slot but not filled it yet comes with the next call (the
// writer rings the doorbell after filling it).
BulkVector<uint64_t> TakeFreshMethodIds(const ReentrancyGuard& guard);

// True once the table of seen ids is full: later first sightings may not be queued, and only a
// scan of every recorded stack (UnresolvedMethodIds) finds them.
bool SeenTableFull();

// Method ids that appear in the recorded stacks and are not cached yet (a scan of `stacks`: up to
// LEAKSCOPE_MAX_STACKS stacks; the resolver's safety net before each dump). The table is passed
// in, so that this file needs nothing of the recorder that uses it.
BulkVector<uint64_t> UnresolvedMethodIds(const ReentrancyGuard& guard, StackTable& stacks);

void StoreMethod(const ReentrancyGuard& guard, MethodInfo info);

// A copy of every cached method (the dumper writes them all).
BulkVector<MethodInfo> CachedMethods(const ReentrancyGuard& guard);

// The seen table and the queue of first sightings: static arrays (1 MiB each) that only a JVM
// with the agent writes. Their size, and the pages written (for the recorder's own memory).
RegionUsage MeasureSeenTables();

// The resolver's doorbell. Rung on every first sighting, by a dump that wants names, and when
// the VM dies; the resolver reads DoorbellValue(), does its work, then waits until the value
// differs (or the timeout passes).
uint32_t DoorbellValue();
void RingDoorbell();
void WaitForDoorbell(uint32_t seen, uint32_t timeout_ms);

}  // namespace leakscope::recorder::java

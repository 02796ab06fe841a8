// Names of the Java methods seen in recorded stacks, resolved by the agent's resolver thread
// (a Java thread, so it may call JVMTI) and written into every dump by the dumper. Guarded by a
// mutex that no allocation hook ever takes. Entries are kept for good: a class unloaded before a
// dump keeps the names resolved while it was loaded.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "thread_state.h"

namespace leakscope::java {

struct MethodInfo {
  uint64_t method_id = 0;
  bool resolved = false;        // false: the id was stale by the time we asked (class unloaded)
  std::string class_signature;  // JVM form: "Ljava/util/zip/Inflater;"
  std::string name;             // "<init>"
  std::string signature;        // "(Z)V"
  std::string source_file;      // "Inflater.java", or empty
  std::vector<std::pair<uint32_t, uint32_t>> lines;  // (start bci, line), ascending bci
};

// Method ids that appear in recorded stacks and are not cached yet.
std::vector<uint64_t> UnresolvedMethodIds(const ReentrancyGuard& guard);

void StoreMethod(const ReentrancyGuard& guard, MethodInfo info);

// A copy of every cached method (the dumper writes them all).
std::vector<MethodInfo> CachedMethods(const ReentrancyGuard& guard);

}  // namespace leakscope::java

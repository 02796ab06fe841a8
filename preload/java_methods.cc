#include "java_methods.h"

#include <pthread.h>

#include <unordered_map>
#include <unordered_set>

#include "dump_format.h"
#include "recorder.h"

namespace leakscope::java {
namespace {

pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
// Allocated on first use under a guard and never freed: the exit dump runs from a destructor.
std::unordered_map<uint64_t, MethodInfo>* g_methods = nullptr;

std::unordered_map<uint64_t, MethodInfo>& Methods() {
  if (g_methods == nullptr) g_methods = new std::unordered_map<uint64_t, MethodInfo>();
  return *g_methods;
}

}  // namespace

std::vector<uint64_t> UnresolvedMethodIds(const ReentrancyGuard&) {
  // Every stack, every pass: at most LEAKSCOPE_MAX_STACKS stacks of tagged words to test, a few
  // milliseconds a second at worst, and no bookkeeping that a racing insert could fool.
  std::unordered_set<uint64_t> seen;
  g_recorder.stacks.ForEach([&](uint32_t, const uint64_t* pcs, uint32_t depth) {
    for (uint32_t i = 0; i < depth; ++i) {
      if (format::IsJavaFrame(pcs[i])) seen.insert(format::JavaFrameMethod(pcs[i]));
    }
  });
  std::vector<uint64_t> unresolved;
  pthread_mutex_lock(&g_mutex);
  for (uint64_t id : seen) {
    if (Methods().count(id) == 0) unresolved.push_back(id);
  }
  pthread_mutex_unlock(&g_mutex);
  return unresolved;
}

void StoreMethod(const ReentrancyGuard&, MethodInfo info) {
  pthread_mutex_lock(&g_mutex);
  uint64_t id = info.method_id;
  Methods()[id] = std::move(info);
  pthread_mutex_unlock(&g_mutex);
}

std::vector<MethodInfo> CachedMethods(const ReentrancyGuard&) {
  std::vector<MethodInfo> copy;
  pthread_mutex_lock(&g_mutex);
  copy.reserve(Methods().size());
  for (const auto& [id, info] : Methods()) copy.push_back(info);
  pthread_mutex_unlock(&g_mutex);
  return copy;
}

}  // namespace leakscope::java

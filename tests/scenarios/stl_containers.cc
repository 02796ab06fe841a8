// Leaks through the standard containers, whose allocations pass through several layers of
// library code (container members, allocator_traits, the allocator) before operator new. The
// report must name the function below that used the container as the allocating caller, not a
// layer of the library. Built twice (tests/scenarios/CMakeLists.txt): at -O0, where every layer
// is a frame of its own, and at -O2, where most are inlined (frames from DWARF) and some are not.
//   vector_reserve   a std::vector<long>, reserve(1000): one block of 8000 B
//   map_insert       a std::map<int, long>, 10 inserts: 10 nodes of 48 B (libstdc++'s
//                    _Rb_tree_node: colour and three links, 32 B, then the 16 B pair)
//   unordered_insert a std::unordered_map<int, long>, 10 inserts: 10 nodes of 24 B (a link and
//                    the pair; int keys cache no hash) and the bucket array; prints
//                    "buckets <n>" (8 B each)
// The containers live in static storage and are never destroyed, so their blocks are live at
// exit and the only allocations in each function are the container's.
#include <cstdio>
#include <map>
#include <new>
#include <unordered_map>
#include <vector>

#define NOINLINE __attribute__((noinline, used))

namespace {

template <typename T>
struct Leaked {
  alignas(T) unsigned char storage[sizeof(T)];
  T* Make() { return new (storage) T(); }  // placement: no allocation, never destroyed
};

Leaked<std::vector<long>> vector_storage;
Leaked<std::map<int, long>> map_storage;
Leaked<std::unordered_map<int, long>> unordered_storage;

}  // namespace

NOINLINE void vector_reserve() { vector_storage.Make()->reserve(1000); }

NOINLINE void map_insert() {
  std::map<int, long>* m = map_storage.Make();
  for (int i = 0; i < 10; ++i) m->insert({i, 2L * i});
}

NOINLINE std::unordered_map<int, long>* unordered_insert() {
  std::unordered_map<int, long>* m = unordered_storage.Make();
  for (int i = 0; i < 10; ++i) m->insert({i, 3L * i});
  return m;
}

int main() {
  vector_reserve();
  map_insert();
  std::unordered_map<int, long>* u = unordered_insert();
  std::printf("buckets %zu\n", u->bucket_count());
  return 0;
}

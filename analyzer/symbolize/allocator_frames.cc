// SPDX-License-Identifier: Apache-2.0
#include "symbolize/allocator_frames.h"

#include "absl/container/flat_hash_set.h"
#include "symbolize/frame.h"
#include "symbolize/std_library_frames.h"

namespace leakscope::analyzer {
namespace {

// Functions that hand out memory on behalf of their caller, by exact name.
const absl::flat_hash_set<std::string_view>& AllocatorFunctions() {
  static const auto* names = new absl::flat_hash_set<std::string_view>{
      // glibc malloc family and its internal aliases.
      "malloc",         "calloc",           "realloc",        "reallocarray",    "free",
      "posix_memalign", "memalign",         "aligned_alloc",  "valloc",          "pvalloc",
      "__libc_malloc",  "__libc_calloc",    "__libc_realloc", "__libc_memalign", "__libc_valloc",
      "__libc_pvalloc", "__posix_memalign", "_mid_memalign",  "_int_malloc",     "_int_realloc",
      "_int_memalign",  "tcache_init",      "sysmalloc",      "strdup",          "strndup",
      "__strdup",       "__strndup"};
  return *names;
}

// zlib, including functions that are static in zlib but appear when it is bundled with symbols
// (Temurin's libzip.so) or debug info is installed.
const absl::flat_hash_set<std::string_view>& ZlibFunctions() {
  static const auto* names = new absl::flat_hash_set<std::string_view>{
      "zcalloc",          "zcfree",         "inflate",
      "inflateInit_",     "inflateInit2_",  "inflateReset",
      "inflateReset2",    "inflateEnd",     "inflateSetDictionary",
      "inflateSync",      "inflateCopy",    "inflateBack",
      "inflateBackInit_", "inflateBackEnd", "updatewindow",
      "inflate_fast",     "inflate_table",  "deflate",
      "deflateInit_",     "deflateInit2_",  "deflateReset",
      "deflateEnd",       "deflateParams",  "deflateSetDictionary",
      "deflateCopy",      "deflateBound",   "deflatePrime",
      "fill_window",      "lm_init",        "deflate_stored",
      "deflate_fast",     "deflate_slow",   "compress",
      "compress2",        "uncompress",     "uncompress2",
      "gzopen",           "gzdopen"};
  return *names;
}

// Demangled C++ names that allocate on behalf of the caller, by prefix. The standard library's
// allocators and containers are std_library_frames.h's.
constexpr std::string_view kAllocatorPrefixes[] = {
    "operator new(", "operator new[](", "os::malloc(",     "os::realloc(",
    "os::strdup(",   "AllocateHeap(",   "ReallocateHeap(",
};

}  // namespace

bool IsZlibFunction(std::string_view function) { return ZlibFunctions().contains(function); }

bool IsAllocatorFrame(std::string_view module, std::string_view function) {
  std::string_view base = Basename(module);
  if (base.starts_with("libleakscope")) return true;
  if (base.starts_with("libz.so")) return true;
  // A replacement allocator's internals (jemalloc's are mostly unexported, so they would otherwise
  // be named after the nearest exported symbol): its hooks call us from deep inside it.
  if (base.starts_with("libjemalloc")) return true;
  if (function.empty()) return false;
  if (AllocatorFunctions().contains(function) || ZlibFunctions().contains(function)) return true;
  for (std::string_view prefix : kAllocatorPrefixes) {
    if (function.starts_with(prefix)) return true;
  }
  return IsStandardLibraryAllocationFrame(function);
}

}  // namespace leakscope::analyzer

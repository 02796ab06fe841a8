// SPDX-License-Identifier: Apache-2.0
// Turns the raw return addresses of a dump into named frames.
//
// Each module is identified by (path, build-id), opened lazily on its first address and checked
// against the dump's build-id (module_resolver.h). Each (module, address) is resolved once and
// cached, so a series of dumps of one program costs one symbolization per distinct address.
// Addresses are module-relative, so stacks of different processes of the same binaries get the
// same frames and can be matched.
//
// Java frames: a site's PCs may end with Java frames (method id + bci, innermost first) that
// the recorder's JVMTI agent captured. SymbolizeStack names them from the dump's kJavaMethod
// records (java_frames.h) and splices them into the native stack where it runs Java code:
//   - the native frames before the first frame in no module (interpreter or JIT code: what
//     the Java frames stand for) stay, e.g. malloc ... Java_java_util_zip_Inflater_init;
//   - the Java frames replace that frame and every frame after it. The JVM's own frames below
//     the Java code (JavaCalls::call_helper ... thread start) go too: the native unwinder
//     reaches them only while it can walk the interpreter frames, not once the code is compiled
//     without frame pointers, so keeping them would split one call path into two sites as the
//     JIT warms up (the outermost Java frame, Thread.run or main, says which thread it is).
// A stack with Java frames but no frame in no module gets its Java frames after the native
// ones. Native frames between two stretches of Java code (a JNI upcall) fall in the replaced
// range and are not shown. Sites then match by this spliced stack, so recompilation (a
// different mix of JIT and interpreter frames) no longer splits a site.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "dump.h"
#include "symbolize/elf_file.h"
#include "symbolize/frame.h"
#include "symbolize/module_resolver.h"

namespace leakscope::analyzer {

class PerfMap;

// Where a symbolized frame came from in the recording process, for outputs that keep addresses
// (pprof). The frames of one return address (a function and the functions inlined into it at
// that call) share `pc_index`.
struct FrameOrigin {
  uint64_t pc = 0;        // the return address as recorded; 0 for Java and pseudo frames
  int32_t module = -1;    // index into the dump's modules; -1: in no module (JIT, Java, pseudo)
  uint32_t pc_index = 0;  // position of the PC in the recorded stack
};

struct SymbolizerOptions {
  ResolverOptions resolver;
  // Perf maps given with --perf-map: used for every process. When empty, /tmp/perf-<pid>.map
  // is used for a process when it exists and is not older than the process.
  std::vector<std::string> perf_maps;
  FILE* warnings = stderr;  // one line per module that cannot be symbolized; null = silent
};

class Symbolizer {
 public:
  explicit Symbolizer(SymbolizerOptions options);
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  // The module map and Java methods of one dump, ready for lookups. Cheap; keep it (and the
  // dump) while symbolizing that dump.
  class DumpView {
   private:
    friend class Symbolizer;
    struct Mapping {
      uint64_t start;
      uint64_t end;
      uint64_t bias;
      uint32_t module;       // index into Symbolizer::modules_
      uint32_t dump_module;  // index into the dump's modules
      bool unloaded;         // dlclose'd before the dump
      // Which mapping epochs it covers: [loaded_epoch, unloaded_epoch) when the dump says.
      bool epochs_known;
      format::ModuleEpochs epochs;
    };
    std::vector<Mapping> mappings_;  // sorted by start
    // The dump's Java methods by method id; points into the dump, which must outlive the view.
    absl::flat_hash_map<uint64_t, const JavaMethodRecord*> java_methods_;
    int64_t pid_ = 0;
    int64_t start_unix_ns_ = 0;
  };
  DumpView View(const Dump& dump);

  const SymbolizerOptions& options() const { return options_; }

  // Appends the frame ids of `pcs` (return addresses, innermost first, then any Java frames) to
  // *out, innermost first; inlined functions expand to several frames; Java frames are spliced
  // in as described above.
  //
  // A PC is looked up in the modules mapped at `epoch` (the site's mapping epoch, dump_format.h)
  // when the dump records epochs: a library unloaded before another was mapped at its addresses
  // keeps its own names for the stacks taken while it was there. Without epochs (a dump written
  // before them, or `epoch` null), or when no module of that epoch holds the PC, a module still
  // loaded at the dump wins over one unloaded.
  //
  // `origins`, when given, is cleared and gets one FrameOrigin per frame of *out's new frames.
  void SymbolizeStack(const DumpView& view, std::span<const uint64_t> pcs,
                      std::vector<uint32_t>* out, const uint32_t* epoch = nullptr,
                      std::vector<FrameOrigin>* origins = nullptr);
  // The interned symbolized stack of a site. Sites without PCs get a pseudo frame saying why.
  // `origins` as for SymbolizeStack, one per frame of the returned stack.
  uint32_t StackOf(const DumpView& view, const SiteInfo& site,
                   std::vector<FrameOrigin>* origins = nullptr);

  // The executable segments of a module that was symbolized (its file found): what pprof's
  // mappings describe. Empty for a module not opened or whose file was not found.
  std::span<const ElfFile::Segment> CodeSegments(const ModuleInfo& module) const;

  const FrameTable& frames() const { return frames_; }
  const StackTable& stacks() const { return stacks_; }

 private:
  struct Module;
  struct Range {
    uint32_t begin;
    uint32_t count;
  };
  Range Resolve(uint32_t module, uint64_t vaddr, uint64_t return_vaddr);
  uint32_t JitFrame(const DumpView& view, uint64_t pc);
  // Appends the frames of native PCs to *out; returns the index in *out of the first frame in
  // no module (JVM code), or out->size() when there is none.
  size_t SymbolizeNative(const DumpView& view, std::span<const uint64_t> pcs, const uint32_t* epoch,
                         std::vector<uint32_t>* out, std::vector<FrameOrigin>* origins);
  void Open(Module* module);
  PerfMap* PerfMapFor(const DumpView& view);

  SymbolizerOptions options_;
  std::vector<std::string> debug_roots_;
  std::vector<std::unique_ptr<Module>> modules_;
  absl::flat_hash_map<std::pair<std::string, std::string>, uint32_t> module_ids_;
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, Range> cache_;
  std::vector<uint32_t> pool_;  // frame ids of cached ranges
  FrameTable frames_;
  StackTable stacks_;
  std::unique_ptr<PerfMap> explicit_perf_map_;
  absl::flat_hash_map<int64_t, std::unique_ptr<PerfMap>> pid_perf_maps_;  // null: none found
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> java_scratch_;
};

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
#include "symbolize/symbolizer.h"

#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "symbolize/allocator_frames.h"
#include "symbolize/demangle.h"
#include "symbolize/dwarf_info.h"
#include "symbolize/elf_file.h"
#include "symbolize/java_frames.h"
#include "symbolize/perf_map.h"

namespace leakscope::analyzer {
namespace {

// How many module ranges starting at or below an address a lookup considers: a library loaded
// and unloaded again and again at one address (a plugin host) leaves one range per load; beyond
// this many, the older ones fall back to the rule without epochs.
constexpr int kMaxOverlaps = 16;

bool IsRecorderModule(std::string_view path) { return Basename(path).starts_with("libleakscope"); }

}  // namespace

struct Symbolizer::Module {
  std::string path;
  std::string build_id;
  bool opened = false;
  bool usable = false;
  ResolvedModule files;
  SymbolTable symbols;
  std::unique_ptr<DwarfInfo> dwarf;
  // Return addresses lie in executable segments; anything else gets no name, whatever symbol
  // or DWARF range (e.g. of discarded code) might claim it.
  std::vector<ElfFile::Segment> code;

  bool InCode(uint64_t vaddr) const {
    for (const ElfFile::Segment& s : code) {
      if (vaddr >= s.vaddr && vaddr < s.vaddr + s.memsz) return true;
    }
    return false;
  }
};

Symbolizer::Symbolizer(SymbolizerOptions options) : options_(std::move(options)) {
  debug_roots_ = options_.resolver.debug_dirs;
  if (!options_.resolver.sysroot.empty()) {
    debug_roots_.push_back(absl::StrCat(options_.resolver.sysroot, "/usr/lib/debug"));
  }
  debug_roots_.push_back("/usr/lib/debug");
  if (!options_.perf_maps.empty()) {
    explicit_perf_map_ = std::make_unique<PerfMap>();
    for (const std::string& path : options_.perf_maps) {
      if (!explicit_perf_map_->Load(path) && options_.warnings != nullptr) {
        absl::FPrintF(options_.warnings, "leakscope: warning: cannot read perf map %s\n", path);
      }
    }
  }
}

Symbolizer::~Symbolizer() = default;

Symbolizer::DumpView Symbolizer::View(const Dump& dump) {
  DumpView view;
  view.pid_ = dump.process.fixed.pid;
  view.start_unix_ns_ = dump.process.fixed.start_unix_ns;
  for (uint32_t index = 0; index < dump.modules.size(); ++index) {
    const ModuleInfo& info = dump.modules[index];
    if (info.fixed.end <= info.fixed.start) continue;
    auto [it, inserted] = module_ids_.try_emplace(std::make_pair(info.path, info.build_id),
                                                  static_cast<uint32_t>(modules_.size()));
    if (inserted) {
      auto module = std::make_unique<Module>();
      module->path = info.path;
      module->build_id = info.build_id;
      modules_.push_back(std::move(module));
    }
    bool unloaded = (info.fixed.flags & format::kModuleUnloaded) != 0;
    view.mappings_.push_back(DumpView::Mapping{info.fixed.start, info.fixed.end, info.fixed.bias,
                                               it->second, index, unloaded, info.epochs_known,
                                               info.epochs});
  }
  for (const JavaMethodRecord& method : dump.java_methods) {
    view.java_methods_.try_emplace(method.fixed.method_id, &method);
  }
  std::sort(view.mappings_.begin(), view.mappings_.end(),
            [](const DumpView::Mapping& a, const DumpView::Mapping& b) {
              return a.start != b.start ? a.start < b.start : a.module < b.module;
            });
  return view;
}

void Symbolizer::Open(Module* module) {
  module->opened = true;
  module->files = ResolveModule(module->path, module->build_id, options_.resolver);
  if (module->files.binary == nullptr && module->files.debug == nullptr) {
    if (options_.warnings != nullptr) {
      absl::FPrintF(options_.warnings,
                    "leakscope: warning: %s: %s; its frames are shown as %s+0xOFFSET\n",
                    module->path, module->files.problem, Basename(module->path));
    }
    return;
  }
  module->usable = true;
  module->code = module->files.binary != nullptr ? module->files.binary->ExecutableSegments()
                                                 : module->files.debug->ExecutableSegments();
  if (module->files.debug != nullptr) module->symbols.AddFrom(*module->files.debug);
  if (module->files.binary != nullptr) module->symbols.AddFrom(*module->files.binary);
  module->symbols.Finish();
  if (module->files.debug != nullptr) {
    module->dwarf = DwarfInfo::Open(*module->files.debug, debug_roots_);
  }
  if (module->dwarf == nullptr && module->files.binary != nullptr) {
    module->dwarf = DwarfInfo::Open(*module->files.binary, debug_roots_);
  }
}

Symbolizer::Range Symbolizer::Resolve(uint32_t module_id, uint64_t vaddr, uint64_t return_vaddr) {
  auto [it, inserted] = cache_.try_emplace(std::make_pair(module_id, vaddr), Range{0, 0});
  if (!inserted) return it->second;
  Module* module = modules_[module_id].get();
  if (!module->opened) Open(module);

  Range range{static_cast<uint32_t>(pool_.size()), 0};
  auto add = [&](std::string function, std::string file, uint32_t line, bool inlined,
                 std::string system_name) {
    Frame frame;
    frame.kind = FrameKind::kNative;
    frame.module = module->path;
    frame.address = function.empty() ? return_vaddr : 0;
    frame.function = std::move(function);
    frame.system_name = std::move(system_name);
    frame.file = std::move(file);
    frame.line = line;
    frame.inlined = inlined;
    frame.allocator = IsAllocatorFrame(frame.module, frame.function);
    pool_.push_back(frames_.Intern(frame));
    ++range.count;
  };

  if (module->usable && module->InCode(vaddr)) {
    const SymbolTable::Symbol* symbol = module->symbols.Find(vaddr);
    std::vector<SourceFrame> source;
    if (module->dwarf != nullptr) module->dwarf->Lookup(vaddr, &source);
    if (!source.empty()) {
      // For the outermost function the symbol table's name is the better one: it is always
      // fully qualified with parameter types, and DWARF may not name it at all (assembly).
      if (symbol != nullptr) {
        source.back().function = Demangle(symbol->name);
        source.back().linkage_name = symbol->name;
      }
      for (SourceFrame& frame : source) {
        add(std::move(frame.function), std::move(frame.file), frame.line, frame.inlined,
            std::move(frame.linkage_name));
      }
    } else if (symbol != nullptr) {
      add(Demangle(symbol->name), "", 0, false, symbol->name);
    } else {
      add("", "", 0, false, "");
    }
  } else {
    add("", "", 0, false, "");
  }
  it->second = range;
  return range;
}

std::span<const ElfFile::Segment> Symbolizer::CodeSegments(const ModuleInfo& info) const {
  auto it = module_ids_.find(std::make_pair(info.path, info.build_id));
  if (it == module_ids_.end()) return {};
  const Module& module = *modules_[it->second];
  if (!module.usable) return {};
  return module.code;
}

PerfMap* Symbolizer::PerfMapFor(const DumpView& view) {
  if (explicit_perf_map_ != nullptr) return explicit_perf_map_.get();
  auto [it, inserted] = pid_perf_maps_.try_emplace(view.pid_, nullptr);
  if (inserted) {
    std::string path = absl::StrCat(options_.resolver.sysroot, "/tmp/perf-", view.pid_, ".map");
    struct stat st;
    // A map older than the process belongs to an earlier process with the same pid.
    if (stat(path.c_str(), &st) == 0 &&
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec >=
            view.start_unix_ns_) {
      auto map = std::make_unique<PerfMap>();
      if (map->Load(path)) it->second = std::move(map);
    }
  }
  return it->second.get();
}

uint32_t Symbolizer::JitFrame(const DumpView& view, uint64_t pc) {
  Frame frame;
  frame.module = "[jit]";
  // Unnamed JIT frames are all the same frame: their addresses mean nothing across processes.
  // Not cached: a perf map lookup is as cheap as a cache lookup.
  if (PerfMap* map = PerfMapFor(view); map != nullptr) {
    if (const std::string* name = map->Find(pc - 1); name != nullptr) frame.function = *name;
  }
  return frames_.Intern(frame);
}

size_t Symbolizer::SymbolizeNative(const DumpView& view, std::span<const uint64_t> pcs,
                                   const uint32_t* epoch, std::vector<uint32_t>* out,
                                   std::vector<FrameOrigin>* origins) {
  size_t jvm_begin = std::string::npos;
  bool past_recorder = false;
  for (uint32_t pc_index = 0; pc_index < pcs.size(); ++pc_index) {
    uint64_t pc = pcs[pc_index];
    // Return addresses point after the call; pc - 1 is inside it.
    uint64_t lookup = pc == 0 ? 0 : pc - 1;
    auto it = std::upper_bound(view.mappings_.begin(), view.mappings_.end(), lookup,
                               [](uint64_t a, const DumpView::Mapping& m) { return a < m.start; });
    // Walk back over the few ranges that may contain the address. A module unloaded before the
    // dump may share its range with one loaded since: the one mapped in the stack's epoch wins,
    // else (no epochs) the loaded one. Modules never overlap while mapped, so only reuse of one
    // range puts more than a few here.
    const DumpView::Mapping* mapping = nullptr;
    const DumpView::Mapping* of_epoch = nullptr;
    for (int steps = 0; it != view.mappings_.begin() && steps < kMaxOverlaps; ++steps) {
      --it;
      if (lookup < it->start || lookup >= it->end) continue;
      if (mapping == nullptr || (mapping->unloaded && !it->unloaded)) mapping = &*it;
      if (epoch != nullptr && it->epochs_known && it->epochs.loaded_epoch <= *epoch &&
          *epoch < it->epochs.unloaded_epoch) {
        of_epoch = &*it;
      }
    }
    if (of_epoch != nullptr) mapping = of_epoch;
    if (mapping == nullptr) {
      if (jvm_begin == std::string::npos) jvm_begin = out->size();
      past_recorder = true;
      uint32_t frame = JitFrame(view, pc);
      // A run of unnamed JIT frames is one frame: how many there are depends on what the JIT
      // had inlined when the stack was taken, which changes as it recompiles. Counting them
      // would split one call path into several sites over a process's life, each growing for
      // a while only, and hide a steady leak from `trend`.
      if (!out->empty() && out->back() == frame && frames_.Get(frame).function.empty()) continue;
      out->push_back(frame);
      if (origins != nullptr) origins->push_back(FrameOrigin{pc, -1, pc_index});
      continue;
    }
    Range range = Resolve(mapping->module, lookup - mapping->bias, pc - mapping->bias);
    // The recorder's own frames further out than the program's are wrappers it put between the
    // program's code and its callers (the JDK's zlib natives, zlib's allocator callbacks): they
    // say nothing about the program, so only the leading run of them (the hook) is kept.
    bool recorder = range.count > 0 && IsRecorderModule(frames_.Get(pool_[range.begin]).module);
    if (recorder && past_recorder) continue;
    if (!recorder) past_recorder = true;
    out->insert(out->end(), pool_.begin() + range.begin, pool_.begin() + range.begin + range.count);
    if (origins != nullptr) {
      origins->insert(origins->end(), range.count,
                      FrameOrigin{pc, static_cast<int32_t>(mapping->dump_module), pc_index});
    }
  }
  return jvm_begin == std::string::npos ? out->size() : jvm_begin;
}

void Symbolizer::SymbolizeStack(const DumpView& view, std::span<const uint64_t> pcs,
                                std::vector<uint32_t>* out, const uint32_t* epoch,
                                std::vector<FrameOrigin>* origins) {
  if (origins != nullptr) origins->clear();
  // Origins are kept relative to *out's frames on entry; `base` is where this stack starts.
  size_t base = out->size();
  // Java frames follow the native PCs (the recorder appends them); find where they start.
  size_t native_count = pcs.size();
  while (native_count > 0 && format::IsJavaFrame(pcs[native_count - 1])) --native_count;
  size_t jvm_begin = SymbolizeNative(view, pcs.first(native_count), epoch, out, origins);
  if (native_count == pcs.size()) return;

  java_scratch_.clear();
  for (uint64_t pc : pcs.subspan(native_count)) {
    uint64_t method_id = format::JavaFrameMethod(pc);
    auto it = view.java_methods_.find(method_id);
    const JavaMethodRecord* method = it == view.java_methods_.end() ? nullptr : it->second;
    java_scratch_.push_back(
        frames_.Intern(MakeJavaFrame(method, method_id, format::JavaFrameBci(pc))));
  }
  // Everything from the first JVM code frame on is replaced (symbolizer.h says why the frames
  // after the last one go too); with no JVM code frame, jvm_begin == out->size().
  out->erase(out->begin() + jvm_begin, out->end());
  out->insert(out->end(), java_scratch_.begin(), java_scratch_.end());
  if (origins != nullptr) {
    origins->resize(jvm_begin - base);
    for (size_t i = 0; i < java_scratch_.size(); ++i) {
      origins->push_back(FrameOrigin{0, -1, static_cast<uint32_t>(native_count + i)});
    }
  }
}

uint32_t Symbolizer::StackOf(const DumpView& view, const SiteInfo& site,
                             std::vector<FrameOrigin>* origins) {
  scratch_.clear();
  if (site.pcs.empty()) {
    Frame frame;
    frame.function =
        site.fixed.site_id == format::kOverflowSiteId ? "[stack table full]" : "[no stack]";
    scratch_.push_back(frames_.Intern(frame));
    if (origins != nullptr) origins->assign(1, FrameOrigin{});
  } else {
    SymbolizeStack(view, site.pcs, &scratch_, site.epoch_known ? &site.epoch : nullptr, origins);
  }
  return stacks_.Intern(scratch_);
}

}  // namespace leakscope::analyzer

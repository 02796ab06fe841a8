// SPDX-License-Identifier: Apache-2.0
// profile.proto encoded by hand (a few message types; no protobuf dependency). Field numbers
// follow github.com/google/pprof/proto/profile.proto.
#include "output/pprof_builder.h"

#include <zlib.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_join.h"
#include "symbolize/elf_file.h"

namespace leakscope::analyzer {
namespace {

// Appends protobuf wire-format fields to a byte string.
class ProtoWriter {
 public:
  void Varint(uint32_t field, uint64_t value) {
    Tag(field, 0);
    RawVarint(value);
  }
  void Bytes(uint32_t field, std::string_view bytes) {
    Tag(field, 2);
    RawVarint(bytes.size());
    out_.append(bytes);
  }
  // int64 values are written as their two's complement, as protobuf's int64 is.
  void PackedVarints(uint32_t field, std::span<const uint64_t> values) {
    ProtoWriter packed;
    for (uint64_t v : values) packed.RawVarint(v);
    Bytes(field, packed.out_);
  }
  void Message(uint32_t field, const ProtoWriter& message) { Bytes(field, message.out_); }
  const std::string& bytes() const { return out_; }

 private:
  void Tag(uint32_t field, uint32_t wire_type) { RawVarint((uint64_t{field} << 3) | wire_type); }
  void RawVarint(uint64_t value) {
    while (value >= 0x80) {
      out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
      value >>= 7;
    }
    out_.push_back(static_cast<char>(value));
  }
  std::string out_;
};

class StringTable {
 public:
  StringTable() { Index(""); }  // pprof requires "" first
  uint64_t Index(std::string_view s) {
    auto [it, inserted] = ids_.try_emplace(std::string(s), strings_.size());
    if (inserted) strings_.emplace_back(s);
    return it->second;
  }
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  std::vector<std::string> strings_;
  absl::flat_hash_map<std::string, uint64_t> ids_;
};

bool Gzip(const std::string& in, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return false;
  }
  out->resize(deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  int status = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  return status == Z_STREAM_END;
}

// RE2 (pprof's regexp) metacharacters escaped, so a name matches only itself.
std::string QuoteRegex(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\.+*?()|[]{}^$").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string PprofSimplifiedName(std::string_view name) {
  if (name.starts_with('.')) name.remove_prefix(1);  // pprof's PPC ELF v1 rule, kept alike
  for (size_t i = 0; i < name.size();) {
    bool reserved = false;
    for (std::string_view kept :
         {std::string_view("(anonymous namespace)"), std::string_view("operator()")}) {
      if (name.substr(i).starts_with(kept)) {
        i += kept.size();
        reserved = true;
        break;
      }
    }
    if (reserved) continue;
    if (name[i] == '(') return std::string(name.substr(0, i));
    ++i;
  }
  return std::string(name);
}

constexpr uint64_t kPage = 4096;

struct PprofBuilder::State {
  explicit State(const Symbolizer& s) : symbolizer(s), frames(s.frames()) {}

  struct MappingState {
    uint64_t id = 0;
    const ModuleInfo* module = nullptr;
    uint64_t start = 0, limit = 0, offset = 0;
    // Each true until a location in the mapping lacks it; false for a mapping with none.
    bool functions = true, filenames = true, lines = true, any = false;
  };
  using LocationKey = std::tuple<uint32_t, int32_t, uint64_t, std::vector<uint32_t>>;

  const Symbolizer& symbolizer;
  const FrameTable& frames;
  StringTable strings;
  ProtoWriter body;  // sample types and samples, in order
  ProtoWriter locations, functions;
  std::vector<const std::vector<ModuleInfo>*> processes;
  // (process, module, executable segment or -1 for the module's whole range)
  std::map<std::tuple<uint32_t, int32_t, int32_t>, MappingState> mappings;
  uint64_t next_mapping_id = 1;
  absl::flat_hash_map<LocationKey, uint64_t> location_ids;
  // (name, system name, file)
  absl::flat_hash_map<std::tuple<std::string, std::string, std::string>, uint64_t> function_ids;
  std::vector<std::string> dropped;  // simplified allocator names, first seen first
  absl::flat_hash_set<std::string> dropped_set;

  // The mapping of the executable segment of `module` that holds `address` (a runtime address;
  // 0: the first segment).
  MappingState& Mapping(uint32_t process, int32_t module, uint64_t address) {
    const ModuleInfo& info = (*processes[process])[static_cast<size_t>(module)];
    std::span<const ElfFile::Segment> segments = symbolizer.CodeSegments(info);
    int32_t segment = -1;
    for (size_t i = 0; i < segments.size(); ++i) {
      uint64_t start = info.fixed.bias + segments[i].vaddr;
      if (address == 0 || (address >= start && address < start + segments[i].memsz)) {
        segment = static_cast<int32_t>(i);
        break;
      }
    }
    auto [it, inserted] = mappings.try_emplace(std::make_tuple(process, module, segment));
    MappingState& m = it->second;
    if (inserted) {
      m.id = next_mapping_id++;
      m.module = &info;
      if (segment >= 0) {
        // As the loader maps it: whole pages, the file offset of the first one.
        const ElfFile::Segment& s = segments[static_cast<size_t>(segment)];
        uint64_t in_page = s.vaddr % kPage;
        m.start = info.fixed.bias + s.vaddr - in_page;
        m.limit = (info.fixed.bias + s.vaddr + s.memsz + kPage - 1) / kPage * kPage;
        m.offset = s.offset - in_page;
      } else {
        m.start = info.fixed.start;
        m.limit = info.fixed.end;
      }
    }
    return m;
  }

  uint64_t FunctionId(const Frame& frame) {
    std::string name = frame.DisplayName();
    // pprof's weblist and disasm look the system name up in the module's symbols and in what
    // addr2line prints: the mangled name.
    const std::string& system_name = frame.system_name.empty() ? name : frame.system_name;
    auto [it, inserted] = function_ids.try_emplace(std::make_tuple(name, system_name, frame.file),
                                                   function_ids.size() + 1);
    if (inserted) {
      ProtoWriter function;
      function.Varint(1, it->second);
      function.Varint(2, strings.Index(name));
      function.Varint(3, strings.Index(system_name));
      function.Varint(4, strings.Index(frame.file));
      functions.Message(5, function);
    }
    if (frame.allocator) {
      std::string simplified = PprofSimplifiedName(name);
      if (!simplified.empty() && dropped_set.insert(simplified).second) {
        dropped.push_back(std::move(simplified));
      }
    }
    return it->second;
  }

  // The location of frames [begin, end) of `stack`, all from one return address.
  uint64_t LocationId(uint32_t process, std::span<const uint32_t> group,
                      const FrameOrigin& origin) {
    LocationKey key{process, origin.module, origin.pc,
                    std::vector<uint32_t>(group.begin(), group.end())};
    auto [it, inserted] = location_ids.try_emplace(std::move(key), location_ids.size() + 1);
    if (!inserted) return it->second;
    ProtoWriter location;
    location.Varint(1, it->second);
    MappingState* mapping = nullptr;
    if (origin.module >= 0) {
      mapping = &Mapping(process, origin.module, origin.pc - 1);
      location.Varint(2, mapping->id);
      mapping->any = true;
    }
    // The recorded PC is a return address: the call is the instruction before it.
    if (origin.pc != 0) location.Varint(3, origin.pc - 1);
    for (uint32_t frame_id : group) {  // innermost first, as pprof lists inlined lines
      const Frame& frame = frames.Get(frame_id);
      ProtoWriter line;
      line.Varint(1, FunctionId(frame));
      line.Varint(2, frame.line);
      location.Message(4, line);
      if (mapping != nullptr) {
        mapping->functions = mapping->functions && !frame.function.empty();
        mapping->filenames = mapping->filenames && !frame.file.empty();
        mapping->lines = mapping->lines && frame.line != 0;
      }
    }
    locations.Message(4, location);
    return it->second;
  }
};

PprofBuilder::PprofBuilder(const Symbolizer& symbolizer)
    : state_(std::make_unique<State>(symbolizer)) {}
PprofBuilder::~PprofBuilder() = default;

void PprofBuilder::AddSampleType(std::string_view type, std::string_view unit) {
  ProtoWriter vt;
  vt.Varint(1, state_->strings.Index(type));
  vt.Varint(2, state_->strings.Index(unit));
  state_->body.Message(1, vt);
}

uint32_t PprofBuilder::AddProcess(const std::vector<ModuleInfo>& modules) {
  uint32_t process = static_cast<uint32_t>(state_->processes.size());
  state_->processes.push_back(&modules);
  for (size_t i = 0; i < modules.size(); ++i) {
    if (modules[i].fixed.flags & format::kModuleMain) {
      state_->Mapping(process, static_cast<int32_t>(i), 0);
      break;
    }
  }
  return process;
}

void PprofBuilder::AddSample(uint32_t process, std::span<const uint32_t> stack,
                             std::span<const FrameOrigin> origins, std::span<const int64_t> values,
                             bool diff_base) {
  std::vector<uint64_t> ids;
  // Frames of one return address (same pc_index, next to each other) make one location.
  for (size_t begin = 0; begin < stack.size();) {
    size_t end = begin + 1;
    if (begin < origins.size()) {
      while (end < stack.size() && end < origins.size() && origins[end].pc != 0 &&
             origins[end].pc_index == origins[begin].pc_index) {
        ++end;
      }
    }
    FrameOrigin origin = begin < origins.size() ? origins[begin] : FrameOrigin{};
    ids.push_back(state_->LocationId(process, stack.subspan(begin, end - begin), origin));
    begin = end;
  }
  ProtoWriter sample;
  sample.PackedVarints(1, ids);
  std::vector<uint64_t> raw(values.begin(), values.end());  // int64 as two's complement
  sample.PackedVarints(2, raw);
  if (diff_base) {
    ProtoWriter label;
    label.Varint(1, state_->strings.Index("pprof::base"));
    label.Varint(2, state_->strings.Index("true"));
    sample.Message(3, label);
  }
  state_->body.Message(2, sample);
}

std::string PprofBuilder::Finish(const Header& header) {
  State& s = *state_;
  ProtoWriter mappings;
  std::vector<const State::MappingState*> by_id;
  for (const auto& [key, mapping] : s.mappings) by_id.push_back(&mapping);
  std::sort(by_id.begin(), by_id.end(), [](const auto* a, const auto* b) { return a->id < b->id; });
  for (const State::MappingState* m : by_id) {
    ProtoWriter mapping;
    mapping.Varint(1, m->id);
    mapping.Varint(2, m->start);
    mapping.Varint(3, m->limit);
    // Without segments: the recorder's start is the page of the module's lowest PT_LOAD
    // segment, which ELF linkers place at file offset 0 (it holds the ELF and program headers).
    mapping.Varint(4, m->offset);
    mapping.Varint(5, s.strings.Index(m->module->path));
    mapping.Varint(6, s.strings.Index(HexString(m->module->build_id)));
    bool functions = m->any && m->functions, filenames = m->any && m->filenames,
         lines = m->any && m->lines;
    mapping.Varint(7, functions);
    mapping.Varint(8, filenames);
    mapping.Varint(9, lines);
    mapping.Varint(10, lines);  // line numbers come from DWARF, which also describes inlining
    mappings.Message(3, mapping);
  }

  ProtoWriter tail;
  uint64_t drop_frames = 0;
  if (!s.dropped.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& name : s.dropped) quoted.push_back(QuoteRegex(name));
    drop_frames = s.strings.Index("^(?:" + absl::StrJoin(quoted, "|") + ")$");
  }
  uint64_t space = s.strings.Index("space");
  uint64_t bytes = s.strings.Index("bytes");
  uint64_t comment = s.strings.Index(header.comment);
  uint64_t default_type = s.strings.Index(header.default_sample_type);
  // Fields may come in any order; the string table goes last because everything above fills it.
  for (const std::string& str : s.strings.strings()) tail.Bytes(6, str);
  if (drop_frames != 0) tail.Varint(7, drop_frames);
  tail.Varint(9, static_cast<uint64_t>(header.time_nanos));
  ProtoWriter period_type;
  period_type.Varint(1, space);
  period_type.Varint(2, bytes);
  tail.Message(11, period_type);
  tail.Varint(12, static_cast<uint64_t>(header.period));
  uint64_t comments[] = {comment};
  tail.PackedVarints(13, comments);
  tail.Varint(14, default_type);

  std::string body =
      s.body.bytes() + mappings.bytes() + s.locations.bytes() + s.functions.bytes() + tail.bytes();
  std::string out;
  Gzip(body, &out);
  return out;
}

}  // namespace leakscope::analyzer

// SPDX-License-Identifier: Apache-2.0
// pprof's profile.proto, encoded by hand (a few message types; no protobuf dependency) and
// gzipped, as `go tool pprof` reads it. Field numbers follow
// github.com/google/pprof/proto/profile.proto.
#include <zlib.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "output/format_report.h"
#include "output/top_count.h"
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
  void PackedVarints(uint32_t field, const std::vector<uint64_t>& values) {
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
  StringTable() { Index(""); }
  uint64_t Index(const std::string& s) {
    auto [it, inserted] = ids_.try_emplace(s, strings_.size());
    if (inserted) strings_.push_back(s);
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

}  // namespace

void FormatReportPprof(const Report& report, const Symbolizer& symbolizer, size_t top,
                       std::string* out) {
  const FrameTable& frames = symbolizer.frames();
  StringTable strings;
  ProtoWriter profile;

  auto value_type = [&](const char* type, const char* unit) {
    ProtoWriter vt;
    vt.Varint(1, strings.Index(type));
    vt.Varint(2, strings.Index(unit));
    return vt;
  };
  profile.Message(1, value_type("inuse_objects", "count"));
  profile.Message(1, value_type("inuse_space", "bytes"));
  profile.Message(1, value_type("alloc_objects", "count"));
  profile.Message(1, value_type("alloc_space", "bytes"));

  // One location per frame (inlined frames are separate locations, which pprof shows alike),
  // one function per (name, file), one mapping per module.
  absl::flat_hash_map<uint32_t, uint64_t> location_of_frame;
  absl::flat_hash_map<std::pair<std::string, std::string>, uint64_t> function_ids;
  absl::flat_hash_map<std::string, uint64_t> mapping_ids;
  ProtoWriter mappings, locations, functions;
  auto mapping_id_of = [&](const std::string& module) -> uint64_t {
    auto [m, inserted] = mapping_ids.try_emplace(module, mapping_ids.size() + 1);
    if (inserted) {
      ProtoWriter mapping;
      mapping.Varint(1, m->second);
      mapping.Varint(5, strings.Index(module));
      for (uint32_t flag = 7; flag <= 10; ++flag) mapping.Varint(flag, 1);  // has_functions..
      mappings.Message(3, mapping);
    }
    return m->second;
  };
  // pprof names the profile after its first mapping: make it the executable.
  if (!report.process.executable.empty()) mapping_id_of(report.process.executable);
  auto location_id = [&](uint32_t frame_id) -> uint64_t {
    auto [it, inserted] = location_of_frame.try_emplace(frame_id, location_of_frame.size() + 1);
    if (!inserted) return it->second;
    const Frame& frame = frames.Get(frame_id);
    uint64_t mapping_id = 0;
    if (!frame.module.empty() && frame.module != "[jit]") mapping_id = mapping_id_of(frame.module);
    std::string name = frame.DisplayName();
    auto [f, new_function] =
        function_ids.try_emplace(std::make_pair(name, frame.file), function_ids.size() + 1);
    if (new_function) {
      ProtoWriter function;
      function.Varint(1, f->second);
      function.Varint(2, strings.Index(name));
      function.Varint(3, strings.Index(name));
      function.Varint(4, strings.Index(frame.file));
      functions.Message(5, function);
    }
    ProtoWriter line;
    line.Varint(1, f->second);
    line.Varint(2, frame.line);
    ProtoWriter location;
    location.Varint(1, it->second);
    if (mapping_id != 0) location.Varint(2, mapping_id);
    if (frame.address != 0) location.Varint(3, frame.address);
    location.Message(4, line);
    locations.Message(4, location);
    return it->second;
  };

  size_t shown = TopCount(top, report.sites.size());
  for (size_t i = 0; i < shown; ++i) {
    const SiteSummary& site = report.sites[i];
    std::vector<uint64_t> ids;
    for (uint32_t frame_id : symbolizer.stacks().Get(site.stack)) {
      ids.push_back(location_id(frame_id));  // leaf first, as pprof expects
    }
    ProtoWriter sample;
    sample.PackedVarints(1, ids);
    sample.PackedVarints(2, {site.live_count, site.live_bytes, site.alloc_count, site.alloc_bytes});
    profile.Message(2, sample);
  }
  // Fields may come in any order; the string table goes last because the messages above fill it.
  std::string body = profile.bytes() + mappings.bytes() + locations.bytes() + functions.bytes();

  ProtoWriter tail;
  uint64_t space = strings.Index("space");
  uint64_t bytes = strings.Index("bytes");
  uint64_t default_type = strings.Index("inuse_space");
  uint64_t comment = strings.Index(absl::StrCat("leakscope report of ", report.file));
  for (const std::string& s : strings.strings()) tail.Bytes(6, s);
  tail.Varint(9, static_cast<uint64_t>(report.process.fixed.time_unix_ns));
  ProtoWriter period_type;
  period_type.Varint(1, space);
  period_type.Varint(2, bytes);
  tail.Message(11, period_type);
  tail.Varint(12, std::max<uint64_t>(report.settings.sample_bytes, 1));
  tail.PackedVarints(13, {comment});
  tail.Varint(14, default_type);
  body += tail.bytes();
  Gzip(body, out);
}

}  // namespace leakscope::analyzer

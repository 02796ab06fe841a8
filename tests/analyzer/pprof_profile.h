// SPDX-License-Identifier: Apache-2.0
// Reads back a pprof profile (gzipped profile.proto) for tests, without protobuf or Go: a small
// wire-format reader (varints, length-delimited fields, packed repeated varints) and the
// messages of github.com/google/pprof/proto/profile.proto that `leakscope report --format
// pprof` writes, by their field numbers. Independent of analyzer/output/format_pprof.cc's writer on
// purpose: a test that decoded with the writer's own code could not catch its mistakes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gunzip.h"

namespace leakscope::pprof {

struct ValueType {
  int64_t type = 0, unit = 0;  // string table indices
};
struct Label {
  int64_t key = 0, str = 0;  // string table indices
};
struct Sample {
  std::vector<uint64_t> location_ids;  // leaf first
  std::vector<int64_t> values;
  std::vector<Label> labels;
};
struct Line {
  uint64_t function_id = 0;
  int64_t line = 0;
};
struct Location {
  uint64_t id = 0, mapping_id = 0, address = 0;
  std::vector<Line> lines;
};
struct Function {
  uint64_t id = 0;
  int64_t name = 0, system_name = 0, filename = 0;
};
struct Mapping {
  uint64_t id = 0, memory_start = 0, memory_limit = 0, file_offset = 0;
  int64_t filename = 0, build_id = 0;
  bool has_functions = false, has_filenames = false, has_line_numbers = false,
       has_inline_frames = false;
};
struct Profile {
  std::vector<ValueType> sample_types;
  std::vector<Sample> samples;
  std::vector<Mapping> mappings;
  std::vector<Location> locations;
  std::vector<Function> functions;
  std::vector<std::string> strings;
  int64_t drop_frames = 0;
  int64_t time_nanos = 0;
  ValueType period_type;
  int64_t period = 0;
  std::vector<int64_t> comments;
  int64_t default_sample_type = 0;

  // The string at `index`, or a marker that makes any comparison fail when it is out of range.
  std::string String(int64_t index) const {
    if (index < 0 || static_cast<size_t>(index) >= strings.size()) {
      return "<bad string index " + std::to_string(index) + ">";
    }
    return strings[static_cast<size_t>(index)];
  }
};

// One protobuf message's fields, read in order. Every read checks bounds; a malformed message
// sets ok() to false and stops.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  bool ok() const { return ok_; }
  bool Done() const { return !ok_ || pos_ >= bytes_.size(); }

  // Reads the next field's tag; false at the end or on an error.
  bool Next(uint32_t* field, uint32_t* wire_type) {
    if (Done()) return false;
    uint64_t tag = Varint();
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<uint32_t>(tag & 7);
    if (*field == 0) ok_ = false;
    return ok_;
  }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) break;
      uint8_t b = static_cast<uint8_t>(bytes_[pos_++]);
      value |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  std::string_view Bytes() {
    uint64_t size = Varint();
    if (!ok_ || size > bytes_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view out = bytes_.substr(pos_, size);
    pos_ += size;
    return out;
  }
  // A repeated varint field, packed (wire type 2) or not (wire type 0).
  void AppendVarints(uint32_t wire_type, std::vector<uint64_t>* out) {
    if (wire_type == 0) {
      out->push_back(Varint());
      return;
    }
    WireReader packed(Bytes());
    while (ok_ && !packed.Done()) out->push_back(packed.Varint());
    ok_ = ok_ && packed.ok();
  }
  // Skips a field of a type this reader does not expect.
  void Skip(uint32_t wire_type) {
    switch (wire_type) {
      case 0:
        Varint();
        break;
      case 1:
        pos_ += 8;
        break;
      case 2:
        Bytes();
        break;
      case 5:
        pos_ += 4;
        break;
      default:
        ok_ = false;
    }
    if (pos_ > bytes_.size()) ok_ = false;
  }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

namespace internal {

// Reads a message whose fields are all varints into field number -> values.
inline std::map<uint32_t, std::vector<uint64_t>> VarintFields(std::string_view bytes, bool* ok) {
  std::map<uint32_t, std::vector<uint64_t>> fields;
  WireReader r(bytes);
  uint32_t field, wire;
  while (r.Next(&field, &wire)) r.AppendVarints(wire, &fields[field]);
  *ok = *ok && r.ok();
  return fields;
}

inline uint64_t One(const std::map<uint32_t, std::vector<uint64_t>>& fields, uint32_t field) {
  auto it = fields.find(field);
  return it == fields.end() || it->second.empty() ? 0 : it->second.back();
}

}  // namespace internal

// Decodes gzipped profile bytes; the failure message says what was malformed.
inline ::testing::AssertionResult DecodeProfile(const std::string& gzipped, Profile* out) {
  using internal::One;
  using internal::VarintFields;
  if (gzipped.size() < 2 || static_cast<uint8_t>(gzipped[0]) != 0x1f ||
      static_cast<uint8_t>(gzipped[1]) != 0x8b) {
    return ::testing::AssertionFailure() << "no gzip magic";
  }
  std::string body = Gunzip(gzipped);
  if (body.empty()) return ::testing::AssertionFailure() << "gunzip gave nothing";
  bool ok = true;
  WireReader r(body);
  uint32_t field, wire;
  while (r.Next(&field, &wire)) {
    if (wire == 2 && (field <= 6 || field == 11)) {
      std::string_view bytes = r.Bytes();
      if (field == 6) {
        out->strings.emplace_back(bytes);
        continue;
      }
      if (field == 2) {  // Sample: location_id = 1, value = 2, label = 3 (key 1, str 2)
        Sample sample;
        WireReader s(bytes);
        uint32_t f, w;
        while (s.Next(&f, &w)) {
          if (f == 1) {
            s.AppendVarints(w, &sample.location_ids);
          } else if (f == 2) {
            std::vector<uint64_t> values;
            s.AppendVarints(w, &values);
            for (uint64_t v : values) sample.values.push_back(static_cast<int64_t>(v));
          } else if (f == 3 && w == 2) {
            auto label = VarintFields(s.Bytes(), &ok);
            sample.labels.push_back(
                {static_cast<int64_t>(One(label, 1)), static_cast<int64_t>(One(label, 2))});
          } else {
            s.Skip(w);
          }
        }
        ok = ok && s.ok();
        out->samples.push_back(std::move(sample));
        continue;
      }
      if (field == 4) {  // Location: id 1, mapping_id 2, address 3, line 4 (a Line message)
        Location location;
        WireReader l(bytes);
        uint32_t f, w;
        while (l.Next(&f, &w)) {
          if (f == 4 && w == 2) {
            auto line = VarintFields(l.Bytes(), &ok);  // function_id 1, line 2
            location.lines.push_back({One(line, 1), static_cast<int64_t>(One(line, 2))});
          } else if (f >= 1 && f <= 3 && w == 0) {
            uint64_t v = l.Varint();
            (f == 1 ? location.id : f == 2 ? location.mapping_id : location.address) = v;
          } else {
            l.Skip(w);
          }
        }
        ok = ok && l.ok();
        out->locations.push_back(std::move(location));
        continue;
      }
      auto fields = VarintFields(bytes, &ok);
      if (field == 1 || field == 11) {  // ValueType: type 1, unit 2
        ValueType vt{static_cast<int64_t>(One(fields, 1)), static_cast<int64_t>(One(fields, 2))};
        (field == 1 ? out->sample_types.emplace_back() : out->period_type) = vt;
      } else if (field == 3) {  // Mapping: id 1, start 2, limit 3, offset 4, filename 5,
                                // build_id 6, has_functions 7 .. has_inline_frames 10
        Mapping m;
        m.id = One(fields, 1);
        m.memory_start = One(fields, 2);
        m.memory_limit = One(fields, 3);
        m.file_offset = One(fields, 4);
        m.filename = static_cast<int64_t>(One(fields, 5));
        m.build_id = static_cast<int64_t>(One(fields, 6));
        m.has_functions = One(fields, 7) != 0;
        m.has_filenames = One(fields, 8) != 0;
        m.has_line_numbers = One(fields, 9) != 0;
        m.has_inline_frames = One(fields, 10) != 0;
        out->mappings.push_back(m);
      } else if (field == 5) {  // Function: id 1, name 2, system_name 3, filename 4
        out->functions.push_back({One(fields, 1), static_cast<int64_t>(One(fields, 2)),
                                  static_cast<int64_t>(One(fields, 3)),
                                  static_cast<int64_t>(One(fields, 4))});
      }
      continue;
    }
    if (field == 13) {  // comment: repeated int64, packed or not
      std::vector<uint64_t> comments;
      r.AppendVarints(wire, &comments);
      for (uint64_t c : comments) out->comments.push_back(static_cast<int64_t>(c));
      continue;
    }
    if (wire == 0 && (field == 7 || field == 9 || field == 12 || field == 14)) {
      int64_t v = static_cast<int64_t>(r.Varint());
      (field == 7    ? out->drop_frames
       : field == 9  ? out->time_nanos
       : field == 12 ? out->period
                     : out->default_sample_type) = v;
      continue;
    }
    r.Skip(wire);
  }
  if (!r.ok() || !ok) return ::testing::AssertionFailure() << "malformed protobuf";
  return ::testing::AssertionSuccess();
}

}  // namespace leakscope::pprof

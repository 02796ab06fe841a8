// SPDX-License-Identifier: Apache-2.0
// Builds one pprof profile (github.com/google/pprof/proto/profile.proto), gzipped as
// `go tool pprof` reads it, from symbolized stacks and the addresses they came from. Shared by
// `report --format pprof` and `diff --format pprof`.
//
// What it writes, as pprof means it:
//   - a Location per return address (per process and module): its address is the return address
//     minus one, inside the call instruction, which is what pprof, addr2line and Go's own
//     profiles use for a caller; its Lines are the function and the functions inlined into it at
//     that call, innermost first. Java, JIT and pseudo frames are locations of their own.
//   - a Mapping per executable segment of each module of each process, as /proc/PID/maps shows
//     it: start, limit, file offset (page-aligned), file and build-id; has_functions /
//     has_filenames / has_line_numbers / has_inline_frames true only when every location
//     written in it has them. `go tool pprof` finds code by the segment's start (the address of
//     the file's first executable byte); a module whose file was not found, whose segments are
//     unknown, gets one mapping of its whole range at offset 0, which only names it.
//   - drop_frames: the allocator frames (symbolize/allocator_frames.h) of the profile, full
//     names as pprof compares them, anchored: pprof's views then start at the allocating caller.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dump.h"
#include "symbolize/symbolizer.h"

namespace leakscope::analyzer {

class PprofBuilder {
 public:
  // The frames and code segments of `symbolizer`, which must outlive the builder.
  explicit PprofBuilder(const Symbolizer& symbolizer);
  ~PprofBuilder();
  PprofBuilder(const PprofBuilder&) = delete;
  PprofBuilder& operator=(const PprofBuilder&) = delete;

  // One value type per sample value, in order.
  void AddSampleType(std::string_view type, std::string_view unit);
  // A process whose stacks follow, with its dump's modules; returns its number for AddSample.
  // Its executable's mapping is created at once, so that the first process's executable is the
  // profile's first mapping, which pprof names the profile after.
  uint32_t AddProcess(const std::vector<ModuleInfo>& modules);
  // A sample: `stack` innermost first, `origins` one per frame (Symbolizer::StackOf), `values`
  // one per sample type. `diff_base` labels it as pprof's -diff_base does (pprof::base=true).
  void AddSample(uint32_t process, std::span<const uint32_t> stack,
                 std::span<const FrameOrigin> origins, std::span<const int64_t> values,
                 bool diff_base = false);

  struct Header {
    int64_t time_nanos = 0;
    int64_t period = 1;  // bytes per sample ("space", "bytes")
    std::string comment;
    std::string default_sample_type;
  };
  // The gzipped profile. Call once.
  std::string Finish(const Header& header);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// pprof's reading of a function name before it matches drop_frames (profile/prune.go): the name
// up to its first '(' that does not belong to "(anonymous namespace)" or "operator()".
std::string PprofSimplifiedName(std::string_view name);

}  // namespace leakscope::analyzer

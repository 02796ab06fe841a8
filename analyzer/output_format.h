// Output formats of report (and the subset diff and trend support), and helpers to print
// frames the same way everywhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "frame.h"
#include "json_output.h"
#include "json_writer.h"
#include "report.h"
#include "symbolizer.h"
#include "trend.h"

namespace leakscope {

enum class OutputFormat { kText, kJson, kCollapsed, kPprof };

bool ParseOutputFormat(std::string_view text, OutputFormat* format);

// How many of `available` ranked entries a --top limit shows: `top`, 0 meaning all.
inline size_t TopCount(size_t top, size_t available) {
  return top == 0 ? available : std::min(top, available);
}

// Appends one line per frame, innermost first, each starting with `indent`; the allocating
// caller (first non-allocator frame) is marked with '>'. Runs of one repeated frame (JIT code)
// print once as "#i-#j".
void AppendStackText(const FrameTable& frames, std::span<const uint32_t> stack,
                     std::string_view indent, std::string* out);
// Writes the "frames" array: one inline object per frame, innermost first.
void WriteFramesJson(const FrameTable& frames, std::span<const uint32_t> stack, JsonWriter* json);

// The fields of one process of a trend, as `trend --format json` writes them (docs/json.md);
// the HTML report embeds the same.
void WriteTrendProcessJson(const ProcessTrend& process, JsonWriter* json);

// The fields of one ranked site of a trend, as `trend --format json` writes them (docs/json.md);
// the HTML report embeds the same.
void WriteTrendSiteJson(const SuspectTrend& site, const Symbolizer& symbolizer, JsonWriter* json);

// The summary of the JVMTI agent's Java stack walks (a dump's kJava record) as report, diff and
// trend print it: "Java: JVMTI agent loaded; Java frames on N of M stack walks; no frames: ..."
// after `indent`, with a newline. Nothing when the dump has no kJava record (no agent).
void AppendJavaWalksText(const format::JavaFixed& java, std::string_view indent, std::string* out);

// The same as JSON: a "java" member (agent_loaded, frames_on, walks by result, unencodable), as
// report and trend write it. Nothing without a kJava record.
void WriteJavaWalksJson(const format::JavaFixed& java, JsonWriter* json);

// "recorder_version": the recorder's version ("0.1.0 (git abc1234)") as report and trend write
// it; null for a dump from before recorders wrote it (no kRecorder record).
void WriteRecorderVersionJson(std::string_view version, JsonWriter* json);

// `top` limits the number of sites (0 = all).
void FormatReportText(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
void FormatReportJson(const Report& report, const Symbolizer& symbolizer, size_t top,
                      std::string* out);
// One line per site with live bytes: "outermost;...;innermost <live bytes>".
void FormatReportCollapsed(const Report& report, const Symbolizer& symbolizer, size_t top,
                           std::string* out);
// Gzipped profile.proto (pprof) with inuse_objects/inuse_space/alloc_objects/alloc_space.
void FormatReportPprof(const Report& report, const Symbolizer& symbolizer, size_t top,
                       std::string* out);

}  // namespace leakscope

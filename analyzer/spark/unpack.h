// SPDX-License-Identifier: Apache-2.0
// Dumps embedded in other files: `yarn logs` output (one file per container with -out, or its
// standard output), where each collected file is wrapped in text headers ("Container: <id> on
// <node>", "LogType:<name>", "LogLength:<n>", "LogContents:") and concatenated, or any other
// concatenation of dumps.
//
// The scan does not depend on the wrapper's format: it looks for the dump magic, follows the
// record headers to the end record to learn the dump's length, and validates the candidate in
// full (checksum included) before accepting it. Text before a dump names its container when it
// holds a "Container: <id> on" line. Memory stays at one dump plus a small window, whatever the
// input's size, and the record headers that walks visited ahead of the scan (each is read once
// over the whole scan, which keeps it linear when fake dumps nest inside each other: about 32
// bytes per header remembered, pruned behind the scan, dropped past 4 Mi headers).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dump.h"

namespace leakscope::analyzer {

struct EmbeddedDump {
  std::string container;  // from the nearest "Container: <id> on" line before it; may be empty
  std::string log_file;   // from the nearest "LogType:<name>" line before it; may be empty
  uint64_t offset = 0;    // where the dump starts in the input
  std::string bytes;      // the whole dump, validated
  ProcessInfo process;
};

// The recorder's temporary (.leakscope.<pid>.<seq>.dump.tmp, renamed once complete), or any
// hidden *.tmp file: never a dump to read, even when a loose `yarn logs` pattern collected it.
bool IsTemporaryName(const std::string& name);

// Calls `found` for each valid dump in `path`, in file order. A candidate that fails
// validation adds "<path>: [<log file> of <container>: ]dump at offset N: <what broke>" to
// *errors and the scan goes on after its magic. Dumps inside a collected temporary file
// (IsTemporaryName of its LogType) are neither read nor reported as damaged: "<path>: <log file>"
// is added to *skipped instead. Returns false (with one line in *errors) only when `path`
// cannot be read. `path` "-" is standard input (a pipe is first copied to an unnamed
// temporary file: the scan reads back and forth).
bool ScanEmbeddedDumps(const std::string& path, const std::function<void(EmbeddedDump&&)>& found,
                       std::vector<std::string>* errors, std::vector<std::string>* skipped);

}  // namespace leakscope::analyzer

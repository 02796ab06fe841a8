// SPDX-License-Identifier: Apache-2.0
// The recorder's status file: how a tool that knows only a pid finds where that process records.
//
//   <runtime dir>/leakscope.<pid>.status     (dump_file_names.h)
//
// The runtime directory is the default dump directory of the process' user ($TMPDIR, else /tmp,
// then leakscope-<uid>, or a leakscope-<uid>-XXXXXX fallback beside it: preload/dump_dir.h), and
// the file is written there whatever LEAKSCOPE_DIR says. pid is the process' own (getpid(), in
// its pid namespace). Text, one key=value per line:
//
//   leakscope_status=1
//   pid=4242
//   dir=/var/log/app/leakscope-1000          the absolute dump directory
//   trigger=/var/log/app/leakscope-1000/leakscope.4242.trigger
//   via=preload                              or attach
//   version=0.1.0 (git abc1234)
//
// Paths are as the recording process sees them (a client in another mount namespace prefixes
// /proc/PID/root). Readers ignore unknown keys, so later writers may add some. The recorder writes
// it atomically (temporary + rename, 0600) from its dumper thread and removes it at a normal exit.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace leakscope::status_file {

// A reader refuses larger files (a status file is a few hundred bytes).
inline constexpr size_t kMaxBytes = 64 * 1024;

struct Status {
  int pid = 0;
  std::string dir;
  std::string trigger;
  std::string via;  // "preload" or "attach"
  std::string version;
};

// The file's text. Values must not hold a newline (paths with one are refused by the recorder).
std::string Format(const Status& status);

// Parses the text; false with *error (one line) when it is not a status file of format 1 or
// lacks pid, dir or trigger. Unknown keys are ignored.
bool Parse(std::string_view text, Status* out, std::string* error);

}  // namespace leakscope::status_file

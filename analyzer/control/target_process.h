// SPDX-License-Identifier: Apache-2.0
// A running process as a client on the same node sees it (`leakscope dump PID`, and whatever
// else talks to a recorder): who runs it, its pid in its own pid namespace, and how its files
// are reached from here when it lives in another mount namespace (a container).
#pragma once

#include <string>

namespace leakscope::analyzer {

struct TargetProcess {
  int pid = 0;       // as this client sees it
  int ns_pid = 0;    // as the process sees itself: the last field of NSpid (pid when none)
  unsigned uid = 0;  // effective uid and gid (what its recorder's files are owned by)
  unsigned gid = 0;
  // Prefix for its paths: "" when it shares our root, else /proc/PID/root (a container).
  std::string root;
  std::string tmpdir;  // its TMPDIR when /proc/PID/environ is readable and it is absolute
  bool environ_read = false;

  // `path`, as the process sees it, as we reach it.
  std::string Reach(const std::string& path) const { return root + path; }
};

enum class TargetError { kNone, kNoProcess, kPermission, kOther };

// Reads /proc/PID/status (Uid, Gid, NSpid), /proc/PID/environ (TMPDIR; unreadable for another
// user's process unless we are root: then TMPDIR is unknown) and compares /proc/PID/root with
// ours. On failure returns the kind and sets *error to one line.
TargetError ReadTargetProcess(int pid, TargetProcess* out, std::string* error);

}  // namespace leakscope::analyzer

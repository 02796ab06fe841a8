// SPDX-License-Identifier: Apache-2.0
// The process `leakscope attach` aims at, as /proc shows it: who it runs as, its pid in its own
// pid namespace, its filesystem (/proc/PID/root, so a JVM in a container is reached with its own
// /tmp), whether it is a HotSpot JVM and whether the recorder is in it already.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace leakscope::analyzer::attach {

// The fields of /proc/PID/status that attaching needs.
struct ProcStatus {
  std::string name;           // Name: (comm), for messages
  char state = 'R';           // State: R, S, D, T (stopped), t (traced), Z (zombie), ...
  uid_t uid = 0;              // Uid: the effective uid (second field)
  gid_t gid = 0;              // Gid: the effective gid
  std::vector<gid_t> groups;  // Groups:
  pid_t nspid = 0;            // NSpid: the last field (its pid in its own namespace); else Pid:
  uint64_t caught = 0;        // SigCgt: bit n-1 set when signal n has a handler
};
// False when a needed field (Name, Uid, Gid, Pid) is missing or malformed.
bool ParseProcStatus(std::string_view text, ProcStatus* out);

// One file mapping of /proc/PID/maps: its path (as the kernel prints it to the reader), device
// and inode.
struct MappedFile {
  std::string path;
  unsigned dev_major = 0, dev_minor = 0;
  uint64_t inode = 0;
};
// The file mappings of a maps text, one entry per distinct path, in order of first appearance.
std::vector<MappedFile> ParseMaps(std::string_view text);

// Whether a mapped path is HotSpot (.../libjvm.so), OpenJ9's VM (.../libj9vm*.so: OpenJ9 maps a
// libjvm.so too, but attaches otherwise and answers SIGQUIT with dump files), or the recorder
// (.../libleakscope*.so, the build's library or a copy `attach` made).
bool IsHotSpotLibrary(std::string_view path);
bool IsOpenJ9Library(std::string_view path);
bool IsRecorderLibrary(std::string_view path);

// The HotSpot flags in effect from a JVM's command line and option variables, in the order the
// JVM reads them (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, the command line, _JAVA_OPTIONS); the last
// setting of -XX:[+-]DisableAttachMechanism wins. Returns where +DisableAttachMechanism came
// from ("its command line", "its JAVA_TOOL_OPTIONS", ...) when it is on, nullopt otherwise.
// Flags in @argfiles or -XX:Flags= files are not read.
std::optional<std::string> AttachDisabledBy(const std::vector<std::string>& cmdline,
                                            const std::vector<std::string>& environ);

struct TargetProcess {
  pid_t pid = 0;  // in our pid namespace: for kill() and /proc
  ProcStatus status;
  std::string root;  // "/proc/PID/root": prefix of every path as the target sees it
  std::string cwd;   // "/proc/PID/cwd"
  std::vector<std::string> cmdline;
  std::vector<std::string> environ;    // NAME=value, as the process started (empty if unreadable)
  bool hotspot = false;                // libjvm.so is mapped, and no OpenJ9 VM library
  std::optional<MappedFile> recorder;  // the recorder library mapped in it, if any

  bool catches_sigquit() const { return (status.caught >> (3 - 1)) & 1; }
  // The value of NAME in environ, if set.
  std::optional<std::string> Env(std::string_view name) const;
  // A path as the target sees it (absolute), prefixed with root to reach it from here.
  std::string Reach(std::string_view path) const { return root + std::string(path); }
};

// Reads /proc/PID/{status,maps,cmdline,environ}. Run it before ActAsTargetUser: root reads any
// process. False with *error one line ("no process 123", "permission denied: ...") when the
// process cannot be inspected. No check of what it is: the command decides.
bool InspectTarget(pid_t pid, TargetProcess* target, std::string* error);

// Switches this process to the target's effective uid, gid and supplementary groups (when we are
// root and it is not): HotSpot accepts an attach file owned by its user (or root) and a socket
// peer with its euid and egid (or root), and a container's root is not ours. Nothing else this
// process does needs root afterwards. False with *error when the switch fails.
bool ActAsTargetUser(const TargetProcess& target, std::string* error);

}  // namespace leakscope::analyzer::attach

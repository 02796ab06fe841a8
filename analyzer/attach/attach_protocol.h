// SPDX-License-Identifier: Apache-2.0
// HotSpot's dynamic attach protocol, spoken by leakscope itself so a node needs no JDK tools
// (the README's "Attaching to a running JVM" has what OpenJDK 17 and Temurin 25 do):
//
//   1. The JVM listens on the Unix socket /tmp/.java_pid<nspid> (its own /tmp: reached through
//      /proc/PID/root) once its attach listener runs: from the start with -Xrs, else on demand.
//   2. On demand: a file .attach_pid<nspid>, owned by the JVM's effective uid or by root, in the
//      JVM's working directory or else in its /tmp, then SIGQUIT. The JVM's signal thread sees the
//      file and starts the listener instead of printing a thread dump.
//   3. A client whose effective uid and gid are the JVM's (or root) connects and sends
//      "1\0load\0<absolute library path>\0true\0<agent options>\0" (protocol version 1, the
//      command, three arguments of at most 1024 bytes).
//   4. The JVM answers with a status line, then text, then closes the connection.
#pragma once

#include <string>
#include <string_view>

#include "attach/target_process.h"

namespace leakscope::analyzer::attach {

// HotSpot's limit on each argument of an attach command (AttachOperation::arg_length_max).
inline constexpr size_t kMaxArgumentLength = 1024;

// The socket path as we reach it: <root>/tmp/.java_pid<nspid>.
std::string AttachSocketPath(const TargetProcess& target);

// Whether the JVM's attach socket is there: true when it is a socket owned by the JVM's user.
// False with *error empty when there is none; with *error set when something else holds the name.
bool AttachSocketReady(const TargetProcess& target, std::string* error);

// Starts the JVM's attach listener (step 2) and waits for its socket, with backoff, for up to
// `timeout_ms`. The attach file it made is removed whatever happens. Call it as the target's user
// (ActAsTargetUser), after checking that the JVM handles SIGQUIT (else the signal kills it).
// False with *error one line when the socket did not appear.
bool StartAttachListener(const TargetProcess& target, int timeout_ms, std::string* error);

// Sleeps `ms` milliseconds, through signals: the waits of the attach steps.
void SleepMs(int ms);

// What the JVM answered to `load`.
struct LoadReply {
  bool loaded = false;  // the library was loaded and its Agent_OnAttach ran
  int agent_code = 0;   // what Agent_OnAttach returned (JNI_OK = 0), when loaded
  std::string message;  // the JVM's reason, when not loaded (e.g. dlopen's error), on one line
  // Not loaded because the VM is not in JVMTI's live phase (JDK 21+ says so): it is still
  // starting, its attach listener up before the live phase begins, or it is ending.
  bool not_live_phase = false;
};

// Parses a `load` reply. Both spellings are understood:
//   OpenJDK 17.0.15, Temurin 25: "0\nreturn code: <agent's code>\n"
//   a bare code (accepted too):  "0\n<agent's code>\n"
//   a failed load, JDK 17:       "-1\n<lib> was not loaded.\n<dlerror text>\n"
//   a failed load, JDK 21+:      "0\n<lib> was not loaded.\n<dlerror text>\n"
// False when the text is none of these (no status line).
bool ParseLoadReply(std::string_view reply, LoadReply* out);

// Connects to `socket_path`, sends `load` with `library` (absolute, as the JVM sees it) and
// `options`, and reads the reply until the JVM closes the connection or `timeout_ms` passes.
// False with *error one line when there is no complete reply.
bool SendLoad(const std::string& socket_path, const std::string& library,
              const std::string& options, int timeout_ms, std::string* reply, std::string* error);

// SendLoad and ParseLoadReply; a refusal for the phase (not_live_phase) is asked again every
// 200 ms for up to `live_wait_ms` while process `pid` lives: a JVM that is starting is live
// within moments. False with *error one line when there is no reply to give: no complete or
// readable reply, or the process ended meanwhile.
bool LoadWhenLive(pid_t pid, const std::string& socket_path, const std::string& library,
                  const std::string& options, int reply_timeout_ms, int live_wait_ms,
                  LoadReply* load, std::string* error);

}  // namespace leakscope::analyzer::attach

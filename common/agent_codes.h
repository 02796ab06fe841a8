// SPDX-License-Identifier: Apache-2.0
// What libleakscope.so's Agent_OnLoad and Agent_OnAttach return, beyond JNI_OK (0): `leakscope
// attach` reads the code back from the JVM's reply to its `load` command and says what it means.
// The JVM treats any non-zero code as a failed load and prints nothing itself.
#pragma once

namespace leakscope::agent {

inline constexpr int kOk = 0;
inline constexpr int kNotRecording = 100;      // "stop", and nothing was recording
inline constexpr int kAlreadyRecording = 101;  // a start, and the process records already
inline constexpr int kBadOptions = 102;        // the option string names no option, or no key=value
inline constexpr int kRecorderOff = 103;  // LEAKSCOPE_DISABLE / LEAKSCOPE_PROCESS, or no memory
inline constexpr int kStopped = 104;      // stopped earlier in this process: no restart
inline constexpr int kVmEnding = 105;     // the JVM is shutting down: JVMTI is past its live phase

// The option string that stops recording.
inline constexpr char kStopOption[] = "stop";

}  // namespace leakscope::agent

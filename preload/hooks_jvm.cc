// SPDX-License-Identifier: Apache-2.0
// The JVM's ways into the recorder, all exported: JVM_FindClassFromBootLoader, how a JVM started
// by the java launcher tells the preloaded recorder that it is fully created (java_launcher.h),
// and the JVMTI agent's entry points (Agent_OnLoad, Agent_OnAttach, Agent_OnUnload). Each checks
// the recorder and hands the JVMTI part (java/) the recorder's stack table, so java/ never
// includes recorder.h.
#include <dlfcn.h>
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#include "agent_codes.h"
#include "core/options.h"
#include "core/raw_log.h"
#include "export.h"
#include "got_routing.h"
#include "hooks_jdk_zlib.h"
#include "java/java_agent.h"
#include "java/java_launcher.h"
#include "java/java_stacks.h"
#include "lifecycle.h"
#include "recorder.h"

using namespace leakscope::recorder;
namespace agent = leakscope::agent;

namespace {

java::RecorderState JavaState() {
  if (g_recorder.ready()) {
    return g_recorder.options.java_stacks ? java::RecorderState::kOn : java::RecorderState::kOff;
  }
  return g_recorder.phase.load() == kDisabled ? java::RecorderState::kOff
                                              : java::RecorderState::kStarting;
}

jint StartJavaPart(JavaVM* vm, java::Via via) {
  if (!g_recorder.options.java_stacks || vm == nullptr) return JNI_OK;
  return java::Start(vm, via, g_recorder.stacks, JdkStreamNatives());
}

// The library was loaded by dlopen, not LD_PRELOAD: `leakscope attach` (Agent_OnAttach) or
// -agentpath alone (Agent_OnLoad). The agent starts the recorder with its options, the Java part,
// and then routes the process's calls to the hooks (got_routing.h). "stop" stops it.
jint StartLoadedAgent(JavaVM* vm, java::Via via, const char* options,
                      const ReentrancyGuard& guard) {
  if (options != nullptr && strcmp(options, agent::kStopOption) == 0) {
    return StopRecording(guard) ? agent::kOk : agent::kNotRecording;
  }
  int phase = g_recorder.phase.load();
  if (phase == kReady) return agent::kAlreadyRecording;
  if (phase == kStopped) return agent::kStopped;
  if (options != nullptr) {
    Options probe;  // a bad option string changes nothing
    if (!ApplyAgentOptions(options, &probe)) return agent::kBadOptions;
  }
  // An attach that raced the JVM's exit: routing calls into a VM that is tearing down gains
  // nothing, so nothing starts and `leakscope attach` says why.
  if (via == java::Via::kOnAttach && vm != nullptr && java::VmIsEnding(vm)) {
    return agent::kVmEnding;
  }
  if (!StartRecordingAsAgent(guard, options)) return agent::kRecorderOff;
  StartJavaPart(vm, via);
  RouteCallsToHooks();
  return agent::kOk;
}

// The agent's set-up (-agentpath, jcmd JVMTI.agent_load or `leakscope attach`), unless the
// recorder is disabled (stay out of the way). Preloaded, the recorder runs already: the agent
// adds Java frames (unless off), or stops it. Guarded: initializing the recorder and the set-up
// allocate.
jint StartAgent(JavaVM* vm, java::Via via, const char* options) {
  ReentrancyGuard guard;
  if (!LoadedAtStart()) return StartLoadedAgent(vm, via, options, guard);
  if (!g_recorder.ready() && !EnsureInitialized()) return JNI_OK;
  if (options != nullptr && strcmp(options, agent::kStopOption) == 0) {
    return StopRecording(guard) ? agent::kOk : agent::kNotRecording;
  }
  // Options are the environment's, read at start; a start with other ones changes nothing.
  if (options != nullptr && options[0] != '\0') return agent::kAlreadyRecording;
  return StartJavaPart(vm, via);
}

}  // namespace

LEAKSCOPE_API jclass JVM_FindClassFromBootLoader(JNIEnv* env, const char* name) {
  if (!java::LauncherDecided()) {
    java::NoticeBootLoaderLookup(env, __builtin_return_address(0), JavaState(), g_recorder.stacks,
                                 JdkStreamNatives());
  }
  java::FindClassFromBootLoaderFn real = java::RealFindClassFromBootLoader();
  // Only a JVM calls this, so libjvm is there; if it somehow were not, "not found" is the
  // answer the caller handles.
  return real != nullptr ? real(env, name) : nullptr;
}

LEAKSCOPE_API jint Agent_OnLoad(JavaVM* vm, char* options, void*) {
  return StartAgent(vm, java::Via::kOnLoad, options);
}

LEAKSCOPE_API jint Agent_OnAttach(JavaVM* vm, char* options, void*) {
  return StartAgent(vm, java::Via::kOnAttach, options);
}

LEAKSCOPE_API void Agent_OnUnload(JavaVM*) { java::EnableCapture(nullptr); }

// SPDX-License-Identifier: Apache-2.0
// The JVM's ways into the recorder, all exported: JVM_FindClassFromBootLoader, how a JVM started
// by the java launcher tells the preloaded recorder that it is fully created (java_launcher.h),
// and the JVMTI agent's entry points (Agent_OnLoad, Agent_OnAttach, Agent_OnUnload). Each checks
// the recorder and hands the JVMTI part (java/) the recorder's stack table, so java/ never
// includes recorder.h.
#include <dlfcn.h>
#include <jni.h>
#include <stdlib.h>

#include "core/raw_log.h"
#include "export.h"
#include "hooks_jdk_zlib.h"
#include "java/java_agent.h"
#include "java/java_launcher.h"
#include "java/java_stacks.h"
#include "recorder.h"

using namespace leakscope::recorder;

namespace {

java::RecorderState JavaState() {
  if (g_recorder.ready()) {
    return g_recorder.options.java_stacks ? java::RecorderState::kOn : java::RecorderState::kOff;
  }
  return g_recorder.phase.load() == kDisabled ? java::RecorderState::kOff
                                              : java::RecorderState::kStarting;
}

// The agent's set-up (-agentpath or jcmd JVMTI.agent_load), unless the recorder is disabled
// (stay out of the way), Java frames are off, or the malloc hooks are not in place. Guarded:
// initializing the recorder and the set-up allocate.
jint StartAgent(JavaVM* vm, java::Via via) {
  ReentrancyGuard guard;
  if (!g_recorder.ready() && !EnsureInitialized()) return JNI_OK;
  if (!g_recorder.options.java_stacks) return JNI_OK;
  // Our malloc is the process's only when the library came in through LD_PRELOAD.
  if (dlsym(RTLD_DEFAULT, "malloc") != reinterpret_cast<void*>(&::malloc)) {
    RawLog(LogLevel::kWarn,
           "loaded as a JVMTI agent but not as LD_PRELOAD: no allocation is recorded; set "
           "LD_PRELOAD to this library as well");
    return JNI_OK;
  }
  return java::Start(vm, via, g_recorder.stacks, JdkStreamNatives());
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

LEAKSCOPE_API jint Agent_OnLoad(JavaVM* vm, char*, void*) {
  return StartAgent(vm, java::Via::kOnLoad);
}

LEAKSCOPE_API jint Agent_OnAttach(JavaVM* vm, char*, void*) {
  return StartAgent(vm, java::Via::kOnAttach);
}

LEAKSCOPE_API void Agent_OnUnload(JavaVM*) { java::EnableCapture(nullptr); }

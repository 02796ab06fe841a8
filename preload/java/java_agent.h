// SPDX-License-Identifier: Apache-2.0
// The JVMTI agent's interface to the rest of the recorder: how it is started (by the exports in
// hooks_jvm.cc, which check the recorder first and hand it the stack table) and what dumps and
// fork children ask of it. The agent itself never reaches for the recorder's globals.
#pragma once

#include <jni.h>

#include <atomic>
#include <cstdint>
#include <span>

#include "core/stack_table.h"

namespace leakscope::recorder::java {

// How the JVMTI part starts: -agentpath (Agent_OnLoad, before the VM runs), an agent loaded into
// the running VM (Agent_OnAttach), or the preloaded library joining the VM the launcher has just
// created (java_launcher.h). The last two run in the live phase: no VMInit will come.
enum class Via { kOnLoad, kOnAttach, kLauncher };

// A JDK native method the agent binds to a wrapper of the recorder's instead (JVMTI
// NativeMethodBind): the JVM tells the agent the function it is about to bind, the agent stores
// it in `original` (where the wrapper finds it) and binds `wrapper`. Used for the Inflater and
// Deflater natives that open and end zlib streams (hooks_jdk_zlib.cc).
struct NativeWrapper {
  const char* class_signature;  // "Ljava/util/zip/Inflater;"
  const char* name;             // "init"
  const char* signature;        // "(Z)J": a method of another shape keeps the JDK's function
  void* wrapper;
  std::atomic<void*>* original;
};

// Sets up the JVMTI part for `vm` (once; later calls return JNI_OK and do nothing). The caller
// has checked that the recorder is initialized and LEAKSCOPE_JAVA_STACKS is on. `stacks` is the
// recorder's stack table: the resolver names the method ids in its Java frames; it must outlive
// the VM. `natives` (static storage) are wrapped as the JVM binds them from then on; natives it
// bound before are left as they are.
jint Start(JavaVM* vm, Via via, StackTable& stacks, std::span<const NativeWrapper> natives);

// Whether `vm` is shutting down: past JVMTI's live phase, where it hands out no environment
// (JNI_EDETACHED) and an attach can no longer record anything worth a dump. Probes with an
// environment of its own, disposed again.
bool VmIsEnding(JavaVM* vm);

// The launcher's way in (java_launcher.h): Start(kLauncher) for the VM `env` belongs to, on this
// thread, which must be attached to it and in native code, in the live phase.
void StartFromLauncher(JNIEnv* env, StackTable& stacks, std::span<const NativeWrapper> natives);

// Before a dump: wakes the resolver and waits (at most half a second) until the method ids seen
// so far are named. Returns at once without the agent or once the VM is gone.
void ResolveMethodsBeforeDump();

// For the dump's kJava record: format::kJavaAgentLoaded | kJavaFramesOn | kJavaStreamNatives,
// 0 outside a JVM.
uint32_t AgentFlags();

// Fork child (JNI code may call fork): the VM's threads, the resolver among them, did not come
// along, and a VM without them must not be called into. Turns Java frames off, lets dumps stop
// waiting for names (the child's dumps keep the names cached before the fork), and gives the
// resolver's mutex and condition variable a fresh start: the parent's dumper may have been
// waiting on them at fork time, and glibc's condition variables count their waiters.
void ForgetVmInForkChild();

}  // namespace leakscope::recorder::java

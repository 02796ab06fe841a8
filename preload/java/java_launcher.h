// SPDX-License-Identifier: Apache-2.0
// Java frames without a JVM flag: a JVM started by the `java` launcher under LD_PRELOAD alone gets
// the recorder's JVMTI part as soon as the VM is fully created, as if the library had been loaded
// with `jcmd PID JVMTI.agent_load` (Agent_OnAttach), but with no flag, no attach mechanism and
// no JDK 21+ dynamic-agent warning (JEP 451 is about agents loaded through the attach mechanism;
// a library already in the process may ask for a JVMTI environment).
//
// When is the VM "fully created"? JNI_GetCreatedJavaVMs is no answer on JDK 17: it returns the
// VM while JNI_CreateJavaVM is still running (JDK-8308341, fixed in 21), and a thread attached
// then may crash. So we let the launcher tell us. libjli's JavaMain calls JNI_CreateJavaVM and,
// once it has returned, loads the main class through LauncherHelper, which it finds with
// FindBootStrapClass: dlsym(RTLD_DEFAULT, "JVM_FindClassFromBootLoader") then a call. RTLD_DEFAULT
// searches the global scope, LD_PRELOAD first, so the call reaches our export (hooks_jvm.cc),
// which forwards it to libjvm's. Its first call *from libjli* comes on the thread that has just
// created the VM: attached to it, in native code, holding no VM lock, in the live phase: exactly
// what Agent_OnAttach gets from the attach listener. We run the same set-up there, before the
// application's main class is even loaded, then forward the call.
//
// libjava's ClassLoader.findBootstrapClass reaches the same export through its PLT (it links the
// global scope too), possibly before the VM is live: those calls are only forwarded.
//
// JDK 8 to 25 launchers all do this (src/java.base/share/native/libjli/java.c, LoadMainClass).
// A JVM embedded by another program (JNI_CreateJavaVM without libjli) gets no Java frames this
// way: -agentpath or jcmd JVMTI.agent_load still work there.
#pragma once

#include <jni.h>

#include <span>

#include "core/stack_table.h"
#include "java_agent.h"

namespace leakscope::recorder::java {

// libjvm's JVM_FindClassFromBootLoader: the next definition after ours, else the one in an
// already loaded libjvm.so (an embedder may have loaded it RTLD_LOCAL, out of RTLD_NEXT's
// reach). nullptr if there is none.
using FindClassFromBootLoaderFn = jclass (*)(JNIEnv*, const char*);
FindClassFromBootLoaderFn RealFindClassFromBootLoader();

// The recorder as the export (hooks_jvm.cc) finds it: still initializing, off for this process
// (disabled, filtered out, or LEAKSCOPE_JAVA_STACKS=0), or recording with Java frames wanted.
enum class RecorderState { kStarting, kOff, kOn };

// True once the launcher's lookups need no more attention (the set-up ran, or never will).
bool LauncherDecided();

// Called by the export with its caller's return address: the first call from libjli, with the
// recorder on, runs the JVMTI set-up (StartFromLauncher, java_agent.h) on this thread, handing
// it `stacks` and `natives`. Cheap once decided.
void NoticeBootLoaderLookup(JNIEnv* env, void* caller, RecorderState recorder, StackTable& stacks,
                            std::span<const NativeWrapper> natives);

}  // namespace leakscope::recorder::java

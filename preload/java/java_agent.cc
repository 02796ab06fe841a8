// SPDX-License-Identifier: Apache-2.0
// The JVMTI agent: libleakscope.so loaded with -agentpath (or JAVA_TOOL_OPTIONS, or attached to a
// running JVM) names the Java code behind native allocations. It prepares what AsyncGetCallTrace
// needs (ClassLoad enabled, jmethodIDs for every class, Java threads known), then enables Java
// frames in the recorder (java_stacks.h), and runs a resolver thread, a Java daemon thread of the
// JVM's own, that turns the method ids seen in stacks into class, method, source file and line
// tables for the dumps (java_methods.h).
//
// The agent only adds names: the malloc hooks come from LD_PRELOAD. Loaded as an agent alone, it
// says so once and stays idle. Under LD_PRELOAD alone, a JVM started by the java launcher gets the
// same set-up as Agent_OnAttach once it is fully created, with no flag (java_launcher.h).
#include "java_agent.h"

#include <dlfcn.h>
#include <jvmti.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <atomic>
#include <vector>

#include "core/raw_log.h"
#include "dump_format.h"
#include "java_methods.h"
#include "java_stacks.h"
#include "thread_state.h"

namespace leakscope::recorder::java {
namespace {

JavaVM* g_vm = nullptr;
jvmtiEnv* g_jvmti = nullptr;
void* g_async_get_call_trace_fn = nullptr;
std::atomic<bool> g_vm_dead{false};
std::atomic<bool> g_frames_were_on{false};  // for dumps after VMDeath turned capture off
StackTable* g_stacks = nullptr;             // the recorder's, given to Start
std::span<const NativeWrapper> g_natives;   // given to Start
std::atomic<uint32_t> g_natives_wrapped{0};

// A dump asks the resolver for a pass (g_requested_passes, then the doorbell) and waits on
// g_resolver_done until the pass has finished. First sightings ring the doorbell alone.
pthread_mutex_t g_resolver_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_resolver_done = PTHREAD_COND_INITIALIZER;
uint64_t g_requested_passes = 0;
uint64_t g_finished_passes = 0;

template <typename T>
void Deallocate(T* p) {
  if (p != nullptr) g_jvmti->Deallocate(reinterpret_cast<unsigned char*>(p));
}

// GetClassMethods makes HotSpot create a jmethodID for every method of the class:
// AsyncGetCallTrace can only name frames whose methods have one.
void CreateMethodIds(jvmtiEnv* jvmti, jclass klass) {
  jint count = 0;
  jmethodID* methods = nullptr;
  if (jvmti->GetClassMethods(klass, &count, &methods) == JVMTI_ERROR_NONE) Deallocate(methods);
}

void CreateMethodIdsForLoadedClasses(jvmtiEnv* jvmti, JNIEnv* jni) {
  jint count = 0;
  jclass* classes = nullptr;
  if (jvmti->GetLoadedClasses(&count, &classes) != JVMTI_ERROR_NONE) return;
  for (jint i = 0; i < count; ++i) {
    CreateMethodIds(jvmti, classes[i]);
    jni->DeleteLocalRef(classes[i]);
  }
  Deallocate(classes);
}

MethodInfo Resolve(JNIEnv* jni, uint64_t id) {
  MethodInfo info;
  info.method_id = id;
  auto method = reinterpret_cast<jmethodID>(id);
  char* name = nullptr;
  char* signature = nullptr;
  // A stale id (its class unloaded) is refused with JVMTI_ERROR_INVALID_METHODID.
  if (g_jvmti->GetMethodName(method, &name, &signature, nullptr) != JVMTI_ERROR_NONE) return info;
  info.name = name;
  info.signature = signature;
  Deallocate(name);
  Deallocate(signature);
  jclass klass = nullptr;
  if (g_jvmti->GetMethodDeclaringClass(method, &klass) == JVMTI_ERROR_NONE) {
    char* class_signature = nullptr;
    if (g_jvmti->GetClassSignature(klass, &class_signature, nullptr) == JVMTI_ERROR_NONE) {
      info.class_signature = class_signature;
      Deallocate(class_signature);
    }
    char* source = nullptr;
    if (g_jvmti->GetSourceFileName(klass, &source) == JVMTI_ERROR_NONE) {
      info.source_file = source;
      Deallocate(source);
    }
    jni->DeleteLocalRef(klass);
  }
  jint entries = 0;
  jvmtiLineNumberEntry* table = nullptr;
  // Native and abstract methods have no line table; that is not an error worth reporting.
  if (g_jvmti->GetLineNumberTable(method, &entries, &table) == JVMTI_ERROR_NONE) {
    for (jint i = 0; i < entries; ++i) {
      info.lines.emplace_back(static_cast<uint32_t>(table[i].start_location),
                              static_cast<uint32_t>(table[i].line_number));
    }
    Deallocate(table);
  }
  info.resolved = true;
  return info;
}

void ResolveIds(JNIEnv* jni, const ReentrancyGuard& guard, const BulkVector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    if (jni->PushLocalFrame(16) != JNI_OK) break;
    StoreMethod(guard, Resolve(jni, id));
    jni->PopLocalFrame(nullptr);
  }
}

// Every method id in the recorded stacks that has no name yet.
void ResolvePass(JNIEnv* jni) {
  ReentrancyGuard guard;
  ResolveIds(jni, guard, UnresolvedMethodIds(guard, *g_stacks));
}

// The resolver names each method id as soon as a stack walk first sees it (the doorbell), while
// its class is surely still loaded, instead of at the next dump, when it may be gone. Before a
// dump it also scans every stack (a safety net for ids the seen table had no room for).
void JNICALL ResolverMain(jvmtiEnv*, JNIEnv* jni, void*) {
  t_state.java_env = jni;
  timespec last_scan{};
  for (;;) {
    uint32_t doorbell = DoorbellValue();
    if (g_vm_dead.load()) return;
    pthread_mutex_lock(&g_resolver_mutex);
    uint64_t pass = g_requested_passes;
    bool requested = g_finished_passes < pass;
    pthread_mutex_unlock(&g_resolver_mutex);
    {
      ReentrancyGuard guard;
      ResolveIds(jni, guard, TakeFreshMethodIds(guard));
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (requested || (SeenTableFull() && now.tv_sec != last_scan.tv_sec)) {
      ResolvePass(jni);
      last_scan = now;
    }
    if (requested) {
      pthread_mutex_lock(&g_resolver_mutex);
      if (g_finished_passes < pass) g_finished_passes = pass;
      pthread_cond_broadcast(&g_resolver_done);
      pthread_mutex_unlock(&g_resolver_mutex);
    }
    WaitForDoorbell(doorbell, 1000);
  }
}

void StartResolver(JNIEnv* jni) {
  jclass thread_class = jni->FindClass("java/lang/Thread");
  jmethodID constructor =
      thread_class ? jni->GetMethodID(thread_class, "<init>", "(Ljava/lang/String;)V") : nullptr;
  jstring name = jni->NewStringUTF("leakscope-resolver");
  jobject thread =
      (constructor && name) ? jni->NewObject(thread_class, constructor, name) : nullptr;
  if (thread == nullptr || g_jvmti->RunAgentThread(thread, ResolverMain, nullptr,
                                                   JVMTI_THREAD_MIN_PRIORITY) != JVMTI_ERROR_NONE) {
    jni->ExceptionClear();
    RawLog(LogLevel::kWarn, "cannot start the Java method resolver; Java frames stay unnamed");
  }
}

// Everything that needs a live VM: method ids for the classes already there, the resolver, and
// then Java frames for samples.
void StartInLiveVm(jvmtiEnv* jvmti, JNIEnv* jni) {
  ReentrancyGuard guard;
  CreateMethodIdsForLoadedClasses(jvmti, jni);
  StartResolver(jni);
  if (g_async_get_call_trace_fn != nullptr) {
    EnableCapture(g_async_get_call_trace_fn);
    g_frames_were_on.store(true);
  }
}

void JNICALL OnVMInit(jvmtiEnv* jvmti, JNIEnv* jni, jthread) {
  t_state.java_env = jni;
  StartInLiveVm(jvmti, jni);
}

void JNICALL OnVMDeath(jvmtiEnv*, JNIEnv* jni) {
  EnableCapture(nullptr);  // no walks while the VM tears down
  ResolvePass(jni);        // the last names, for the exit dump
  g_vm_dead.store(true);
  RingDoorbell();  // the resolver sees the VM gone and returns
  pthread_mutex_lock(&g_resolver_mutex);
  pthread_cond_broadcast(&g_resolver_done);
  pthread_mutex_unlock(&g_resolver_mutex);
}

void JNICALL OnClassLoad(jvmtiEnv*, JNIEnv*, jthread, jclass) {
  // Nothing to do: AsyncGetCallTrace only needs the event enabled.
}

void JNICALL OnClassPrepare(jvmtiEnv* jvmti, JNIEnv*, jthread, jclass klass) {
  ReentrancyGuard guard;
  CreateMethodIds(jvmti, klass);
}

void JNICALL OnThreadStart(jvmtiEnv*, JNIEnv* jni, jthread) { t_state.java_env = jni; }

void JNICALL OnThreadEnd(jvmtiEnv*, JNIEnv*, jthread) { t_state.java_env = kNotJavaThread; }

bool Matches(const NativeWrapper& native, const char* name, const char* signature) {
  return strcmp(native.name, name) == 0 && strcmp(native.signature, signature) == 0;
}

// The JVM is about to bind a native method to `address`: one of g_natives gets its wrapper
// instead. The JVM binds a native once, when first called (or on RegisterNatives), so this runs a
// few hundred times in a JVM's life. The callback allocates (JVMTI strings): guarded.
void JNICALL OnNativeMethodBind(jvmtiEnv* jvmti, JNIEnv* jni, jthread, jmethodID method,
                                void* address, void** new_address) {
  if (g_natives.empty() || new_address == nullptr) return;
  ReentrancyGuard guard;
  char* name = nullptr;
  char* signature = nullptr;
  // Refused before the live phase: no JDK library's natives are bound that early.
  if (jvmti->GetMethodName(method, &name, &signature, nullptr) != JVMTI_ERROR_NONE) return;
  const NativeWrapper* candidate = nullptr;
  for (const NativeWrapper& native : g_natives) {
    if (Matches(native, name, signature)) candidate = &native;
  }
  jclass klass = nullptr;
  char* class_signature = nullptr;
  if (candidate != nullptr && jvmti->GetMethodDeclaringClass(method, &klass) == JVMTI_ERROR_NONE &&
      jvmti->GetClassSignature(klass, &class_signature, nullptr) == JVMTI_ERROR_NONE) {
    for (const NativeWrapper& native : g_natives) {
      if (!Matches(native, name, signature) ||
          strcmp(native.class_signature, class_signature) != 0 || address == native.wrapper) {
        continue;
      }
      native.original->store(address, std::memory_order_release);  // before the JVM binds
      *new_address = native.wrapper;
      g_natives_wrapped.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  if (klass != nullptr && jni != nullptr) jni->DeleteLocalRef(klass);
  Deallocate(class_signature);
  Deallocate(name);
  Deallocate(signature);
}

// NativeMethodBind for g_natives. Without the capability (a JVMTI that refuses it) the JDK's
// natives run unwrapped, as before the agent.
void WrapNatives(jvmtiEnv* jvmti) {
  if (g_natives.empty()) return;
  jvmtiCapabilities capabilities;
  memset(&capabilities, 0, sizeof(capabilities));
  capabilities.can_generate_native_method_bind_events = 1;
  if (jvmti->AddCapabilities(&capabilities) != JVMTI_ERROR_NONE ||
      jvmti->SetEventNotificationMode(JVMTI_ENABLE, JVMTI_EVENT_NATIVE_METHOD_BIND, nullptr) !=
          JVMTI_ERROR_NONE) {
    RawLog(LogLevel::kInfo,
           "this JVM refuses NativeMethodBind: zlib streams of a JDK that bundles zlib stay "
           "unattributed");
  }
}

// Serializes Start: the launcher's thread and an attach listener (jcmd) may both get here.
pthread_mutex_t g_start_mutex = PTHREAD_MUTEX_INITIALIZER;

jint StartLocked(JavaVM* vm, Via via, StackTable& stacks, std::span<const NativeWrapper> natives) {
  ReentrancyGuard guard;
  // Loaded twice (-agentpath and JAVA_TOOL_OPTIONS), or started by the launcher and then loaded
  // with jcmd, or the other way round: the first one set everything up.
  if (g_jvmti != nullptr) return JNI_OK;
  jvmtiEnv* jvmti = nullptr;
  jint env_rc = vm->GetEnv(reinterpret_cast<void**>(&jvmti), JVMTI_VERSION_1_2);
  if (env_rc == JNI_EDETACHED) {
    // Past the live phase: the JVM is exiting (an attach raced its end). Nothing to warn about.
    RawLog(LogLevel::kInfo, "the JVM is shutting down; Java frames are off");
    return JNI_OK;
  }
  if (env_rc != JNI_OK) {
    RawLog(LogLevel::kWarn, "no JVMTI in this JVM; Java frames are off");
    return JNI_OK;
  }
  g_async_get_call_trace_fn = dlsym(RTLD_DEFAULT, "AsyncGetCallTrace");
  if (g_async_get_call_trace_fn == nullptr) {
    RawLog(LogLevel::kWarn, "this JVM does not export AsyncGetCallTrace; Java frames are off");
    return JNI_OK;
  }
  jvmtiCapabilities capabilities;
  memset(&capabilities, 0, sizeof(capabilities));
  capabilities.can_get_source_file_name = 1;
  capabilities.can_get_line_numbers = 1;
  jvmti->AddCapabilities(&capabilities);  // without them only file and line are missing
  jvmtiEventCallbacks callbacks;
  memset(&callbacks, 0, sizeof(callbacks));
  callbacks.VMInit = OnVMInit;
  callbacks.VMDeath = OnVMDeath;
  callbacks.ClassLoad = OnClassLoad;
  callbacks.ClassPrepare = OnClassPrepare;
  callbacks.ThreadStart = OnThreadStart;
  callbacks.ThreadEnd = OnThreadEnd;
  callbacks.NativeMethodBind = OnNativeMethodBind;
  g_natives = natives;  // before the event is enabled
  jvmti->SetEventCallbacks(&callbacks, sizeof(callbacks));
  WrapNatives(jvmti);
  for (jvmtiEvent event :
       {JVMTI_EVENT_VM_INIT, JVMTI_EVENT_VM_DEATH, JVMTI_EVENT_CLASS_LOAD,
        JVMTI_EVENT_CLASS_PREPARE, JVMTI_EVENT_THREAD_START, JVMTI_EVENT_THREAD_END}) {
    jvmti->SetEventNotificationMode(JVMTI_ENABLE, event, nullptr);
  }
  g_stacks = &stacks;  // before the resolver starts (StartInLiveVm or OnVMInit)
  g_vm = vm;
  g_jvmti = jvmti;
  if (via != Via::kOnLoad) {
    JNIEnv* jni = nullptr;
    if (vm->GetEnv(reinterpret_cast<void**>(&jni), JNI_VERSION_1_6) == JNI_OK) {
      t_state.java_env = jni;
      StartInLiveVm(jvmti, jni);
    }
  }
  RawLog(LogLevel::kInfo, via == Via::kLauncher ? "joined the JVM: Java frames on"
                                                : "JVMTI agent loaded: Java frames on");
  return JNI_OK;
}

}  // namespace

bool VmIsEnding(JavaVM* vm) {
  jvmtiEnv* jvmti = nullptr;
  jint rc = vm->GetEnv(reinterpret_cast<void**>(&jvmti), JVMTI_VERSION_1_2);
  if (rc == JNI_OK && jvmti != nullptr) jvmti->DisposeEnvironment();
  return rc == JNI_EDETACHED;
}

jint Start(JavaVM* vm, Via via, StackTable& stacks, std::span<const NativeWrapper> natives) {
  pthread_mutex_lock(&g_start_mutex);
  jint rc = StartLocked(vm, via, stacks, natives);
  pthread_mutex_unlock(&g_start_mutex);
  return rc;
}

void StartFromLauncher(JNIEnv* env, StackTable& stacks, std::span<const NativeWrapper> natives) {
  JavaVM* vm = nullptr;
  if (env->GetJavaVM(&vm) == JNI_OK && vm != nullptr) Start(vm, Via::kLauncher, stacks, natives);
}

void* LookUpJavaEnv() {
  void* env = nullptr;
  if (g_vm == nullptr || g_vm_dead.load(std::memory_order_relaxed) ||
      g_vm->GetEnv(&env, JNI_VERSION_1_6) != JNI_OK || env == nullptr) {
    env = kNotJavaThread;
  }
  t_state.java_env = env;
  return env;
}

uint32_t AgentFlags() {
  uint32_t flags = 0;
  if (g_jvmti != nullptr) flags |= format::kJavaAgentLoaded;
  if (g_frames_were_on.load()) flags |= format::kJavaFramesOn;
  if (g_natives_wrapped.load() > 0) flags |= format::kJavaStreamNatives;
  return flags;
}

void ForgetVmInForkChild() {
  EnableCapture(nullptr);
  g_vm_dead.store(true);
  g_resolver_mutex = PTHREAD_MUTEX_INITIALIZER;
  g_resolver_done = PTHREAD_COND_INITIALIZER;
  g_requested_passes = 0;
  g_finished_passes = 0;
}

void ResolveMethodsBeforeDump() {
  if (g_jvmti == nullptr || g_vm_dead.load()) return;
  pthread_mutex_lock(&g_resolver_mutex);
  uint64_t pass = ++g_requested_passes;
  RingDoorbell();
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 500'000'000;  // a dump does not wait longer than this for names
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1'000'000'000;
  }
  while (g_finished_passes < pass && !g_vm_dead.load()) {
    if (pthread_cond_timedwait(&g_resolver_done, &g_resolver_mutex, &deadline) != 0) break;
  }
  pthread_mutex_unlock(&g_resolver_mutex);
}

}  // namespace leakscope::recorder::java

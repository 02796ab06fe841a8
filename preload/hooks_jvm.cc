// JVM_FindClassFromBootLoader: how a JVM started by the java launcher tells the preloaded
// recorder that it is fully created (java_launcher.h). A pass-through to libjvm's; the first
// call from the launcher itself first starts Java frames.
#include <jni.h>

#include "export.h"
#include "java_launcher.h"

using namespace leakscope;

LEAKSCOPE_API jclass JVM_FindClassFromBootLoader(JNIEnv* env, const char* name) {
  java::NoticeBootLoaderLookup(env, __builtin_return_address(0));
  java::FindClassFromBootLoaderFn real = java::RealFindClassFromBootLoader();
  // Only a JVM calls this, so libjvm is there; if it somehow were not, "not found" is the
  // answer the caller handles.
  return real != nullptr ? real(env, name) : nullptr;
}

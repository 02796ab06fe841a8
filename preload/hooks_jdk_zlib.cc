// SPDX-License-Identifier: Apache-2.0
// Wrappers for the JDK's Inflater and Deflater natives, so that a JDK whose zlib is built into
// libzip.so (Temurin, Corretto, Oracle) gets the same attribution as one calling the system zlib:
// one record per stream, at the stack that opened it, holding every byte the stream holds.
//
// Such a zlib calls none of our hooks: its inflateInit2_ is a hidden symbol of libzip.so, and its
// allocator is its own zcalloc, which calls malloc. So the init wrapper watches instead. While the
// JDK's init runs (Java_java_util_zip_Inflater_init: calloc a z_stream, then inflateInit2), every
// block this thread allocates is recorded exactly against the stack of the first one, the
// z_stream's calloc, whose allocating caller is the JDK's native (recorder.h,
// BeginStreamCapture). Once the init has returned the z_stream, the stream is recorded with those
// bytes, and zlib's allocator is swapped for ours (stream_allocator.h): the 32 KiB inflate window,
// allocated later inside inflate(), is then the stream's too, not a second site billed to the
// first read.
//
// The swap rests on zlib's public ABI (the z_stream layout, zalloc/zfree/opaque), and it is made
// only when the stream looks exactly as zlib leaves one it initialized with its defaults: state
// is the block allocated right after the z_stream, and begins with a pointer back to the stream
// (zlib's inflate_state since 1.2.9, deflate_state always), zalloc and zfree are set and opaque
// is null. Anything else (another layout, a zlib too old) keeps zlib's allocator: the window is
// then sampled like any allocation, and nothing is ever written into a struct we do not know.
//
// With a system zlib (OpenJDK on Debian), the JDK's init calls our inflateInit2_ hook: it sees
// in_zlib_hook set and passes the call through, so the stream is recorded once, here; the same
// for the End hooks inside the end wrapper.
//
// The wrappers are in the hooks' section: a stack walk from a sample taken inside the JDK's init
// passes through the wrapper's frame, and the walk only accepts hooks among our frames further
// out (unwinder.cc). Everything the wrapper does is inlined into it for the same reason.
#include "hooks_jdk_zlib.h"

#include <jni.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>

#include "core/raw_log.h"
#include "export.h"
#include "recorder.h"
#include "stream_allocator.h"

namespace leakscope::recorder {
namespace {

using InflaterInitFn = jlong(JNICALL*)(JNIEnv*, jclass, jboolean nowrap);
using DeflaterInitFn = jlong(JNICALL*)(JNIEnv*, jclass, jint level, jint strategy, jboolean nowrap);
using EndFn = void(JNICALL*)(JNIEnv*, jclass, jlong address);

// The JDK's own functions, stored by the agent before it binds a wrapper (never null then).
std::atomic<void*> g_inflater_init{nullptr};
std::atomic<void*> g_inflater_end{nullptr};
std::atomic<void*> g_deflater_init{nullptr};
std::atomic<void*> g_deflater_end{nullptr};

std::atomic<bool> g_layout_warned{false};  // said once per process

template <typename Fn>
Fn Original(const std::atomic<void*>& slot) {
  return reinterpret_cast<Fn>(slot.load(std::memory_order_acquire));
}

// Whether zlib's allocator of this freshly initialized stream may be swapped for ours (see the
// file comment). `capture` proves the z_stream and the state are blocks just allocated, of the
// sizes read here.
bool LooksInitializedByZlib(z_streamp stream, const StreamCapture& capture) {
  if (capture.blocks < 2 || capture.second_size < sizeof(void*) ||
      reinterpret_cast<uintptr_t>(stream->state) != capture.second) {
    return false;
  }
  if (stream->zalloc == Z_NULL || stream->zfree == Z_NULL || stream->opaque != Z_NULL) {
    return false;
  }
  return *reinterpret_cast<z_streamp*>(stream->state) == stream;
}

// Runs the JDK's init under a capture and records the stream it returns.
template <typename Call>
__attribute__((always_inline)) inline jlong OpenStream(format::StreamKind kind, Call&& call) {
  if (!BeginStreamCapture(kind)) return call();
  bool outer = !t_state.in_zlib_hook;
  t_state.in_zlib_hook = true;  // a system zlib's init hook must not record the stream again
  jlong address = call();
  if (outer) t_state.in_zlib_hook = false;
  StreamCapture capture = EndStreamCapture();
  auto* stream = reinterpret_cast<z_streamp>(static_cast<uintptr_t>(address));
  // The first block is the z_stream the native returns; else (a failed init returns 0, and the
  // native has freed what it allocated) there is no stream to record.
  if (stream == nullptr || capture.first != reinterpret_cast<uintptr_t>(stream) ||
      capture.first_size != sizeof(z_stream)) {
    return address;
  }
  if (!RecordCapturedStream(stream, capture)) return address;
  if (LooksInitializedByZlib(stream, capture)) {
    InstallStreamAllocator(stream);
  } else if (!g_layout_warned.exchange(true, std::memory_order_relaxed)) {
    RawLog(LogLevel::kWarn,
           "a JDK zlib stream does not look as zlib leaves one; its later allocations (the "
           "inflate window) are sampled, not charged to the stream");
  }
  return address;
}

__attribute__((always_inline)) inline void EndStream(const std::atomic<void*>& original,
                                                     JNIEnv* env, jclass cls, jlong address) {
  if (address != 0) RecordStreamEnd(reinterpret_cast<void*>(static_cast<uintptr_t>(address)));
  bool outer = !t_state.in_zlib_hook;
  t_state.in_zlib_hook = true;  // a system zlib's End hook: recorded already
  Original<EndFn>(original)(env, cls, address);
  if (outer) t_state.in_zlib_hook = false;
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION jlong JNICALL InflaterInit(JNIEnv* env, jclass cls,
                                                                            jboolean nowrap) {
  return OpenStream(format::StreamKind::kInflate,
                    [&] { return Original<InflaterInitFn>(g_inflater_init)(env, cls, nowrap); });
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION jlong JNICALL DeflaterInit(JNIEnv* env, jclass cls,
                                                                            jint level,
                                                                            jint strategy,
                                                                            jboolean nowrap) {
  return OpenStream(format::StreamKind::kDeflate, [&] {
    return Original<DeflaterInitFn>(g_deflater_init)(env, cls, level, strategy, nowrap);
  });
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void JNICALL InflaterEnd(JNIEnv* env, jclass cls,
                                                                          jlong address) {
  EndStream(g_inflater_end, env, cls, address);
}

__attribute__((noinline)) LEAKSCOPE_HOOK_SECTION void JNICALL DeflaterEnd(JNIEnv* env, jclass cls,
                                                                          jlong address) {
  EndStream(g_deflater_end, env, cls, address);
}

// The natives' shapes have been the same since JDK 9 (static, the stream's address as a jlong);
// a JDK with other signatures keeps its own functions.
constexpr char kInflater[] = "Ljava/util/zip/Inflater;";
constexpr char kDeflater[] = "Ljava/util/zip/Deflater;";
const java::NativeWrapper kNatives[] = {
    {kInflater, "init", "(Z)J", reinterpret_cast<void*>(&InflaterInit), &g_inflater_init},
    {kInflater, "end", "(J)V", reinterpret_cast<void*>(&InflaterEnd), &g_inflater_end},
    {kDeflater, "init", "(IIZ)J", reinterpret_cast<void*>(&DeflaterInit), &g_deflater_init},
    {kDeflater, "end", "(J)V", reinterpret_cast<void*>(&DeflaterEnd), &g_deflater_end},
};

}  // namespace

std::span<const java::NativeWrapper> JdkStreamNatives() { return kNatives; }

}  // namespace leakscope::recorder

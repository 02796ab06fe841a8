// SPDX-License-Identifier: Apache-2.0
// zlib stream opens and ends. Every stream is recorded (streams are few), with the stack that
// opened it, and forgotten at its End. The real functions are found lazily in whatever zlib the
// caller uses (real_functions.h); the preload never links libz itself.
//
// A stream opened with zlib's default allocator (zalloc, zfree and opaque all null, as the JDK's
// Inflater.c and Deflater.c leave them) gets ours for its whole life, with opaque pointing at the
// stream, so every byte it ever allocates is charged exactly to the stack that opened it. Most of
// a leaked inflate stream is the 32 KiB window allocated later, inside inflate(), by zlib's
// internal zcalloc: without this it shows up as a second, unnamed site. A caller's own allocator
// is left alone. (The allocator itself: stream_allocator.h.)
//
// zlib's inflateInit_ calls inflateInit2_ (and deflateInit_ deflateInit2_), possibly through the
// PLT and so through us again: a per-thread flag makes sure only the outer call records.
#include <zlib.h>

#include <atomic>

#include "core/raw_log.h"
#include "export.h"
#include "real_functions.h"
#include "recorder.h"
#include "stream_allocator.h"

using namespace leakscope::recorder;
namespace format = leakscope::format;

namespace {

template <typename Fn>
Fn RealZlib(std::atomic<Fn>& cache, const char* name) {
  Fn fn = cache.load(std::memory_order_acquire);
  if (fn != nullptr) return fn;
  fn = reinterpret_cast<Fn>(real::FindZlibFunction(name));
  if (fn == nullptr) {
    g_recorder.zlib_missing_real.fetch_add(1, std::memory_order_relaxed);
    RawLog(LogLevel::kWarn, "cannot find the real %s in any loaded zlib; failing the call", name);
    return nullptr;
  }
  cache.store(fn, std::memory_order_release);
  return fn;
}

// True for a stream on zlib's default allocator, or on ours from an earlier init of the same
// struct. `stream_size` is the caller's sizeof(z_stream): if it differs from ours, the layouts
// may too, and we touch nothing.
bool CanInstallAllocator(z_streamp stream, int stream_size) {
  if (stream_size != static_cast<int>(sizeof(z_stream))) return false;
  bool defaults = stream->zalloc == Z_NULL && stream->zfree == Z_NULL && stream->opaque == Z_NULL;
  return defaults || HasStreamAllocator(stream);
}

// Records the stream, then runs the real init on our allocator where we may install it, unless
// this is zlib's inflateInit_ calling inflateInit2_ (the outer call already did all of it).
template <typename Call>
int OpenStream(z_streamp stream, int stream_size, format::StreamKind kind, Call&& call) {
  if (t_state.in_zlib_hook || stream == nullptr) return call();
  t_state.in_zlib_hook = true;
  // Before the real init: the init itself allocates the stream's state.
  bool recorded = RecordStreamOpen(stream, kind);
  bool installed = recorded && CanInstallAllocator(stream, stream_size);
  if (installed) InstallStreamAllocator(stream);
  int rc = call();
  t_state.in_zlib_hook = false;
  if (rc != Z_OK) {
    if (recorded) CancelStreamOpen(stream, kind);
    if (installed) RemoveStreamAllocator(stream);  // leave the struct as the caller gave it
  }
  return rc;
}

using InflateInitFn = int (*)(z_streamp, const char*, int);
using InflateInit2Fn = int (*)(z_streamp, int, const char*, int);
using DeflateInitFn = int (*)(z_streamp, int, const char*, int);
using DeflateInit2Fn = int (*)(z_streamp, int, int, int, int, int, const char*, int);
using EndFn = int (*)(z_streamp);

std::atomic<InflateInitFn> g_inflate_init{nullptr};
std::atomic<InflateInit2Fn> g_inflate_init2{nullptr};
std::atomic<DeflateInitFn> g_deflate_init{nullptr};
std::atomic<DeflateInit2Fn> g_deflate_init2{nullptr};
std::atomic<EndFn> g_inflate_end{nullptr};
std::atomic<EndFn> g_deflate_end{nullptr};

}  // namespace

LEAKSCOPE_EXPORT int inflateInit_(z_streamp stream, const char* version, int stream_size) {
  auto real = RealZlib(g_inflate_init, "inflateInit_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, stream_size, format::StreamKind::kInflate,
                    [&] { return real(stream, version, stream_size); });
}

LEAKSCOPE_EXPORT int inflateInit2_(z_streamp stream, int window_bits, const char* version,
                                   int stream_size) {
  auto real = RealZlib(g_inflate_init2, "inflateInit2_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, stream_size, format::StreamKind::kInflate,
                    [&] { return real(stream, window_bits, version, stream_size); });
}

LEAKSCOPE_EXPORT int deflateInit_(z_streamp stream, int level, const char* version,
                                  int stream_size) {
  auto real = RealZlib(g_deflate_init, "deflateInit_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, stream_size, format::StreamKind::kDeflate,
                    [&] { return real(stream, level, version, stream_size); });
}

LEAKSCOPE_EXPORT int deflateInit2_(z_streamp stream, int level, int method, int window_bits,
                                   int mem_level, int strategy, const char* version,
                                   int stream_size) {
  auto real = RealZlib(g_deflate_init2, "deflateInit2_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, stream_size, format::StreamKind::kDeflate, [&] {
    return real(stream, level, method, window_bits, mem_level, strategy, version, stream_size);
  });
}

LEAKSCOPE_EXPORT int inflateEnd(z_streamp stream) {
  auto real = RealZlib(g_inflate_end, "inflateEnd");
  if (real == nullptr) return Z_STREAM_ERROR;
  // Inside a JDK Inflater/Deflater end native, the wrapper has recorded it (hooks_jdk_zlib.cc).
  if (stream != nullptr && !t_state.in_zlib_hook) RecordStreamEnd(stream);
  return real(stream);
}

LEAKSCOPE_EXPORT int deflateEnd(z_streamp stream) {
  auto real = RealZlib(g_deflate_end, "deflateEnd");
  if (real == nullptr) return Z_STREAM_ERROR;
  // Inside a JDK Inflater/Deflater end native, the wrapper has recorded it (hooks_jdk_zlib.cc).
  if (stream != nullptr && !t_state.in_zlib_hook) RecordStreamEnd(stream);
  return real(stream);
}

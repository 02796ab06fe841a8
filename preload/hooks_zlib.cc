// zlib stream opens and ends. Every stream is recorded (streams are few), with the stack that
// opened it, and forgotten at its End. The real functions are found lazily in whatever zlib the
// caller uses (real_functions.h); the preload never links libz itself.
//
// zlib's inflateInit_ calls inflateInit2_ (and deflateInit_ deflateInit2_), possibly through the
// PLT and so through us again: a per-thread flag makes sure only the outer call records.
#include <zlib.h>

#include <atomic>

#include "export.h"
#include "raw_log.h"
#include "real_functions.h"
#include "recorder.h"

using namespace leakscope;

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

// Runs the real init and records the stream if it opened, unless we are nested in another init.
template <typename Call>
int OpenStream(z_streamp stream, format::StreamKind kind, Call&& call) {
  if (t_state.in_zlib_hook) return call();
  t_state.in_zlib_hook = true;
  int rc = call();
  t_state.in_zlib_hook = false;
  if (rc == Z_OK && stream != nullptr) RecordStreamOpen(stream, kind);
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
  return OpenStream(stream, format::StreamKind::kInflate,
                    [&] { return real(stream, version, stream_size); });
}

LEAKSCOPE_EXPORT int inflateInit2_(z_streamp stream, int window_bits, const char* version,
                                   int stream_size) {
  auto real = RealZlib(g_inflate_init2, "inflateInit2_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, format::StreamKind::kInflate,
                    [&] { return real(stream, window_bits, version, stream_size); });
}

LEAKSCOPE_EXPORT int deflateInit_(z_streamp stream, int level, const char* version,
                                  int stream_size) {
  auto real = RealZlib(g_deflate_init, "deflateInit_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, format::StreamKind::kDeflate,
                    [&] { return real(stream, level, version, stream_size); });
}

LEAKSCOPE_EXPORT int deflateInit2_(z_streamp stream, int level, int method, int window_bits,
                                   int mem_level, int strategy, const char* version,
                                   int stream_size) {
  auto real = RealZlib(g_deflate_init2, "deflateInit2_");
  if (real == nullptr) return Z_STREAM_ERROR;
  return OpenStream(stream, format::StreamKind::kDeflate, [&] {
    return real(stream, level, method, window_bits, mem_level, strategy, version, stream_size);
  });
}

LEAKSCOPE_EXPORT int inflateEnd(z_streamp stream) {
  auto real = RealZlib(g_inflate_end, "inflateEnd");
  if (real == nullptr) return Z_STREAM_ERROR;
  if (stream != nullptr) RecordStreamEnd(stream);
  return real(stream);
}

LEAKSCOPE_EXPORT int deflateEnd(z_streamp stream) {
  auto real = RealZlib(g_deflate_end, "deflateEnd");
  if (real == nullptr) return Z_STREAM_ERROR;
  if (stream != nullptr) RecordStreamEnd(stream);
  return real(stream);
}

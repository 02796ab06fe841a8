/* zlib streams opened and ended, or left open. Linked with -lz. Streams live in static storage
 * so the only heap blocks are zlib's own.
 *   inflate_leak     3 x inflateInit, left open
 *   inflate2_leak    1 x inflateInit2 (raw, windowBits -15), left open
 *   inflate_ended    2 x inflateInit + inflateEnd
 *   deflate_leak     2 x deflateInit, left open
 *   deflate2_leak    1 x deflateInit2 (gzip, windowBits 31), left open
 *   deflate_ended    2 x deflateInit + deflate + deflateEnd
 *   roundtrip        deflate then inflate 64 KiB, compare, end both
 * Open at exit: 4 inflate and 3 deflate streams. */
#include <string.h>
#include <zlib.h>

#include "scenario.h"

static z_stream inflate_leaked[3];
static z_stream inflate2_leaked;
static z_stream deflate_leaked[2];
static z_stream deflate2_leaked;

NOINLINE void inflate_leak(void) {
  for (int i = 0; i < 3; ++i) CHECK(inflateInit(&inflate_leaked[i]) == Z_OK);
}

NOINLINE void inflate2_leak(void) { CHECK(inflateInit2(&inflate2_leaked, -15) == Z_OK); }

NOINLINE void inflate_ended(void) {
  for (int i = 0; i < 2; ++i) {
    z_stream s;
    memset(&s, 0, sizeof(s));
    CHECK(inflateInit(&s) == Z_OK);
    CHECK(inflateEnd(&s) == Z_OK);
  }
}

NOINLINE void deflate_leak(void) {
  for (int i = 0; i < 2; ++i) CHECK(deflateInit(&deflate_leaked[i], 6) == Z_OK);
}

NOINLINE void deflate2_leak(void) {
  CHECK(deflateInit2(&deflate2_leaked, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
}

NOINLINE void deflate_ended(void) {
  static unsigned char in[1000], out[2000];
  for (int i = 0; i < 2; ++i) {
    z_stream s;
    memset(&s, 0, sizeof(s));
    CHECK(deflateInit(&s, 1) == Z_OK);
    s.next_in = in;
    s.avail_in = sizeof(in);
    s.next_out = out;
    s.avail_out = sizeof(out);
    CHECK(deflate(&s, Z_FINISH) == Z_STREAM_END);
    CHECK(deflateEnd(&s) == Z_OK);
  }
}

NOINLINE void roundtrip(void) {
  enum { kSize = 64 << 10 };
  static unsigned char original[kSize], packed[kSize + 1024], unpacked[kSize];
  for (int i = 0; i < kSize; ++i) original[i] = (unsigned char)((i * 7) ^ (i >> 5));

  z_stream d;
  memset(&d, 0, sizeof(d));
  CHECK(deflateInit(&d, 6) == Z_OK);
  d.next_in = original;
  d.avail_in = kSize;
  d.next_out = packed;
  d.avail_out = sizeof(packed);
  CHECK(deflate(&d, Z_FINISH) == Z_STREAM_END);
  uLong packed_size = d.total_out;
  CHECK(deflateEnd(&d) == Z_OK);

  z_stream f;
  memset(&f, 0, sizeof(f));
  CHECK(inflateInit(&f) == Z_OK);
  f.next_in = packed;
  f.avail_in = (uInt)packed_size;
  f.next_out = unpacked;
  f.avail_out = kSize;
  CHECK(inflate(&f, Z_FINISH) == Z_STREAM_END);
  CHECK(f.total_out == kSize);
  CHECK(inflateEnd(&f) == Z_OK);
  CHECK(memcmp(original, unpacked, kSize) == 0);
}

int main(void) {
  inflate_leak();
  inflate2_leak();
  inflate_ended();
  deflate_leak();
  deflate2_leak();
  deflate_ended();
  roundtrip();
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

/* A library linked with zlib that zlib_dlopen loads with dlopen(RTLD_LOCAL), as the JVM loads
 * libzip.so: zlib is then not in the global scope, so the recorder cannot find the real zlib with
 * dlsym(RTLD_NEXT).
 *   zuser_inflate_leak  2 x inflateInit, left open
 *   zuser_deflate_leak  1 x deflateInit, left open
 *   zuser_roundtrip     deflate then inflate 4 KiB, compare, end both
 * zuser_run returns 0 when every zlib call did what zlib does. */
#include <string.h>
#include <zlib.h>

#include "scenario.h"

static z_stream inflate_leaked[2];
static z_stream deflate_leaked;

NOINLINE int zuser_inflate_leak(void) {
  for (int i = 0; i < 2; ++i) {
    if (inflateInit(&inflate_leaked[i]) != Z_OK) return 1;
  }
  return 0;
}

NOINLINE int zuser_deflate_leak(void) { return deflateInit(&deflate_leaked, 6) == Z_OK ? 0 : 2; }

NOINLINE int zuser_roundtrip(void) {
  static unsigned char original[4096], packed[8192], unpacked[4096];
  for (int i = 0; i < 4096; ++i) original[i] = (unsigned char)(i % 251);
  z_stream d, f;
  memset(&d, 0, sizeof(d));
  memset(&f, 0, sizeof(f));
  if (deflateInit(&d, 6) != Z_OK) return 3;
  d.next_in = original;
  d.avail_in = sizeof(original);
  d.next_out = packed;
  d.avail_out = sizeof(packed);
  if (deflate(&d, Z_FINISH) != Z_STREAM_END) return 4;
  if (deflateEnd(&d) != Z_OK) return 5;
  if (inflateInit(&f) != Z_OK) return 6;
  f.next_in = packed;
  f.avail_in = (uInt)d.total_out;
  f.next_out = unpacked;
  f.avail_out = sizeof(unpacked);
  if (inflate(&f, Z_FINISH) != Z_STREAM_END || f.total_out != sizeof(unpacked)) return 7;
  if (inflateEnd(&f) != Z_OK) return 8;
  return memcmp(original, unpacked, sizeof(original)) == 0 ? 0 : 9;
}

__attribute__((visibility("default"))) int zuser_run(void) {
  int rc = zuser_roundtrip();
  if (rc == 0) rc = zuser_inflate_leak();
  if (rc == 0) rc = zuser_deflate_leak();
  return rc;
}
/* SPDX-License-Identifier: Apache-2.0 */

/* A zlib stream's memory, charged to the stack that opened it. Each leaking stream is opened on
 * zlib's default allocator (as the JDK does), used, and left open; its twin, fed the same input,
 * runs on a counting allocator of the program's own, which the recorder must leave alone. The
 * twin's count is the truth, written to the file named by argv[1]:
 *   inflate <bytes>    inflate_window_leak: state + the 32 KiB window inflate() allocates later
 *   deflate <bytes>    deflate_window_leak: state, window, hash chains, pending buffer
 * counted_twin() allocates through counting_alloc -> malloc: those blocks stay live too, seen by
 * the malloc hooks at counting_alloc's call, and its stream record holds no attributed bytes. */
#include <string.h>
#include <zlib.h>

#include "scenario.h"

static size_t g_counted;

NOINLINE static voidpf counting_alloc(voidpf opaque, uInt items, uInt size) {
  (void)opaque;
  g_counted += (size_t)items * size;
  return malloc((size_t)items * size);
}

static void counting_free(voidpf opaque, voidpf p) {
  (void)opaque;
  free(p);
}

static unsigned char g_plain[64 << 10], g_packed[80 << 10], g_out[64 << 10];
static uLong g_packed_size;
static z_stream g_inflate_leaked, g_inflate_twin, g_deflate_leaked, g_deflate_twin;

static void make_input(void) {
  for (size_t i = 0; i < sizeof(g_plain); ++i) g_plain[i] = (unsigned char)((i * 7) ^ (i >> 5));
  g_packed_size = sizeof(g_packed);
  CHECK(compress(g_packed, &g_packed_size, g_plain, sizeof(g_plain)) == Z_OK);
}

/* In 4 KiB pieces, like a stream reader: zlib then needs (and allocates) its window. */
static void use_inflate(z_stream* s) {
  s->next_in = g_packed;
  s->avail_in = (uInt)g_packed_size;
  int rc = Z_OK;
  for (size_t done = 0; rc == Z_OK && done < sizeof(g_out); done = sizeof(g_out) - s->avail_out) {
    s->next_out = g_out + done;
    s->avail_out = (uInt)(sizeof(g_out) - done < 4096 ? sizeof(g_out) - done : 4096);
    rc = inflate(s, Z_NO_FLUSH);
    s->avail_out = (uInt)(sizeof(g_out) - done - (4096 - s->avail_out));
  }
  CHECK(rc == Z_STREAM_END);
  CHECK(memcmp(g_out, g_plain, sizeof(g_plain)) == 0);
}

static void use_deflate(z_stream* s) {
  s->next_in = g_plain;
  s->avail_in = sizeof(g_plain);
  s->next_out = g_packed;
  s->avail_out = sizeof(g_packed);
  CHECK(deflate(s, Z_FINISH) == Z_STREAM_END);
}

NOINLINE void inflate_window_leak(void) {
  CHECK(inflateInit2(&g_inflate_leaked, 15) == Z_OK);
  use_inflate(&g_inflate_leaked);
}

NOINLINE void deflate_window_leak(void) {
  CHECK(deflateInit2(&g_deflate_leaked, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  use_deflate(&g_deflate_leaked);
}

NOINLINE void counted_twin(void) {
  g_inflate_twin.zalloc = counting_alloc;
  g_inflate_twin.zfree = counting_free;
  CHECK(inflateInit2(&g_inflate_twin, 15) == Z_OK);
  use_inflate(&g_inflate_twin);
  CHECK(g_inflate_twin.zalloc == counting_alloc);  /* left alone */
}

NOINLINE void counted_deflate_twin(void) {
  g_deflate_twin.zalloc = counting_alloc;
  g_deflate_twin.zfree = counting_free;
  CHECK(deflateInit2(&g_deflate_twin, 6, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  use_deflate(&g_deflate_twin);
}

int main(int argc, char** argv) {
  CHECK(argc == 2);
  make_input();
  inflate_window_leak();
  deflate_window_leak();
  g_counted = 0;
  counted_twin();
  size_t inflate_truth = g_counted;
  g_counted = 0;
  counted_deflate_twin();
  size_t deflate_truth = g_counted;
  /* The leaked streams really work on our allocator: end-to-end data checked above. */
  FILE* truth = fopen(argv[1], "w");
  CHECK(truth != NULL);
  fprintf(truth, "inflate %zu\ndeflate %zu\n", inflate_truth, deflate_truth);
  CHECK(fclose(truth) == 0);
  return 0;
}
/* SPDX-License-Identifier: Apache-2.0 */

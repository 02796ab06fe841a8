/**
 * What one open zlib stream holds in native memory, so the demo can print the truth in bytes.
 *
 * <p>Java cannot see native memory, so these are computed, not measured by the program. The
 * figures are zlib 1.2.13 on x86-64 (Debian 12's libz.so.1, which OpenJDK 17's libzip.so uses),
 * read back with a counting zalloc; Temurin 25's bundled zlib 1.3.1 differs by a few bytes of
 * state, well under 1 % of a stream.
 *
 * <ul>
 *   <li>Both kinds: the JDK's {@code Java_java_util_zip_{In,De}flater_init} {@code calloc}s a
 *       {@code z_stream} (112 B) before calling zlib's init.
 *   <li>Deflate, allocated inside {@code deflateInit2_}: the {@code deflate_state} (5,952 B) plus
 *       zlib's {@code zconf.h} formula {@code (1 << (windowBits+2)) + (1 << (memLevel+9))}: the
 *       window (2 << windowBits), prev (2 << windowBits), head (2 << (memLevel+7)) and
 *       pending_buf (4 << (memLevel+6)). The JDK uses windowBits 15 and memLevel 8: 262,144 B.
 *   <li>Inflate: the {@code inflate_state} (7,160 B) from {@code inflateInit2_}, and the 32 KiB
 *       window (1 << windowBits) that zlib allocates lazily, inside the first {@code inflate()}
 *       call that produces output. Every leaked inflate stream in this demo has read something.
 * </ul>
 */
final class ZlibCost {
  static final long Z_STREAM = 112;
  static final long DEFLATE_STATE = 5952;
  static final long INFLATE_STATE = 7160;
  static final int WINDOW_BITS = 15;
  static final int MEM_LEVEL = 8;

  /** 268,208 B. */
  static final long DEFLATE_STREAM =
      Z_STREAM + DEFLATE_STATE + (1L << (WINDOW_BITS + 2)) + (1L << (MEM_LEVEL + 9));

  /** 40,040 B, once the stream has inflated something. */
  static final long INFLATE_STREAM = Z_STREAM + INFLATE_STATE + (1L << WINDOW_BITS);

  private ZlibCost() {}
}
// SPDX-License-Identifier: Apache-2.0

import java.util.zip.CRC32;

/** CRC-32 helpers for the run's checksum (CRC32 allocates no native memory). */
final class Checksum {
  private Checksum() {}

  static long of(byte[] bytes, int length) {
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, length);
    return crc.getValue();
  }

  /** Order-dependent combination, so a reordered or lost result changes the total. */
  static long combine(long total, long value) {
    return (total * 31 + value) & 0xffffffffL;
  }
}
// SPDX-License-Identifier: Apache-2.0

import java.nio.charset.StandardCharsets;

/**
 * Deterministic pseudo-random rows (CDC-like records), so that every run writes the same bytes
 * and the program's output can be compared byte for byte with and without the recorder.
 */
final class Records {
  private static final String[] OPS = {"insert", "update", "delete"};
  private static final String[] TABLES = {"orders", "customers", "payments", "shipments"};

  private long state;
  private int left;
  private final StringBuilder row = new StringBuilder(64);

  Records(long seed, int rows) {
    state = seed * 0x9E3779B97F4A7C15L + 1;
    left = rows;
  }

  /** The next row, or null after the last. */
  byte[] next() {
    if (left-- <= 0) return null;
    long a = step();
    long b = step();
    // No String.format: it would keep the JIT compilers busy far longer than the job itself.
    row.setLength(0);
    row.append(OPS[(int) Long.remainderUnsigned(a, 3)]).append(',');
    row.append(TABLES[(int) Long.remainderUnsigned(b, 4)]).append(',');
    row.append(Long.remainderUnsigned(a, 1_000_000)).append(',');
    row.append(Long.remainderUnsigned(b, 100_000)).append(',');
    row.append(Integer.toHexString((int) (a ^ b))).append('\n');
    return row.toString().getBytes(StandardCharsets.US_ASCII);
  }

  // xorshift64*: fast, deterministic, good enough to make compressible but varied rows.
  private long step() {
    state ^= state >>> 12;
    state ^= state << 25;
    state ^= state >>> 27;
    return state * 0x2545F4914F6CDD1DL;
  }
}
// SPDX-License-Identifier: Apache-2.0

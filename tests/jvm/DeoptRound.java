import java.nio.ByteBuffer;
import java.util.function.IntToLongFunction;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * One round of {@link DeoptStorm}: code that C2 compiles under assumptions which the round then
 * breaks, one after another, while the same compiled code allocates native memory (direct
 * ByteBuffers, zlib streams, strings built with StringBuilder). {@link DeoptStorm} loads this class
 * through a fresh class loader per round, so every round starts with methods that were never
 * profiled and subclasses that were never loaded: the assumptions are made, and broken, again each
 * round.
 *
 * <p>Phases of {@link #applyAsLong}, each running the hot loop {@link #spin} long enough for C2 to
 * compile it (OSR and normal) on the profile of the phases before (the first is the longest):
 *
 * <ol>
 *   <li>one {@link Shape} subclass loaded (CHA: the call is inlined without a type check), no
 *       rare branch taken, every index in range, the payload non-null;
 *   <li>a second subclass is loaded and used: the CHA dependency breaks (nmethods made not
 *       entrant) and the inlined call's class check traps; the rare branch becomes hot
 *       (unstable_if);
 *   <li>four subclasses, two more loaded late (the call site turns megamorphic); now and then an
 *       index of -1 (range_check trap; the exception is caught here);
 *   <li>the payload becomes null (null_check trap) and a checkcast that always held fails
 *       (class_check), with the type profile flipped to the last subclass only.
 * </ol>
 *
 * <p>HotSpot allocates native memory while it deoptimizes (Deoptimization's UnrollBlock and
 * vframeArray are C-heap objects): under the recorder those allocations are sampled with the
 * deoptimization stub and the compiled frames below them on the stack. That is what crashed
 * (issue 12). {@link #spin} keeps many small negative ints live across its traps, which is what
 * makes a frame-pointer guess through its frames fault (see there). Everything this class
 * returns is a pure function of the round number and the iteration count.
 */
public final class DeoptRound implements IntToLongFunction {
  abstract static class Shape { abstract long area(int x); }

  static final class Circle extends Shape {
    @Override
    long area(int x) {
      return 3L * x * x + 1;
    }
  }

  static final class Square extends Shape {
    @Override
    long area(int x) {
      return (long) x * x + 7;
    }
  }

  static final class Triangle extends Shape {
    @Override
    long area(int x) {
      return ((long) x * x) / 2 + 3;
    }
  }

  // Loaded in phase 3 (with Triangle); the only type phase 4 sees.
  static final class Hexagon extends Shape {
    @Override
    long area(int x) {
      return 6L * x + (x >>> 3);
    }
  }

  private static final int TABLE = 64;
  private static final int[] LANES = {-1, -2, -3, -4, -5, -6, -7, -1};
  private static final int CHUNK = 500;
  // Phase 1 is longer: C2 must have compiled spin on its profile before phase 2 starts, on a
  // loaded machine too (compilation runs in the background, behind other compile tasks).
  private static final int WARM_UP = 6;

  private final int iterations;
  private final int[] table = new int[TABLE];
  private final byte[] input = new byte[4096];
  private final byte[] packed = new byte[8192];
  private final byte[] unpacked = new byte[4096];
  private Object payload = "payload";
  private long caught;

  /** @param iterations loop iterations per phase (C2 needs tens of thousands to compile) */
  public DeoptRound(int iterations) {
    this.iterations = iterations;
    for (int i = 0; i < TABLE; i++) table[i] = i * 7 + 1;
  }

  /** Runs the four phases; returns a checksum that depends only on {@code round}. */
  @Override
  public long applyAsLong(int round) {
    for (int i = 0; i < input.length; i++) input[i] = (byte) ((i * (round + 3)) ^ (i >> 7));
    long sum = 0;
    // Phase 1: Circle is the only Shape subclass loaded; the rare branch lies beyond the loop's
    // end and every index is in range.
    sum += phase(new Shape[] {new Circle()}, round, Integer.MAX_VALUE, 0, WARM_UP * iterations);
    // Phase 2: Square loaded and used, the rare branch hot from the middle of the loop.
    sum = mix(
        sum, phase(new Shape[] {new Circle(), new Square()}, round, iterations / 2, 0, iterations));
    // Phase 3: megamorphic, and now and then an index of -1.
    sum = mix(sum,
        phase(new Shape[] {new Circle(), new Square(), new Triangle(), new Hexagon()}, round,
            iterations / 4, -1, iterations));
    // Phase 4: the payload null and the profile flipped to one subclass that fails the checkcast.
    payload = null;
    sum = mix(sum, phase(new Shape[] {new Hexagon()}, round, 0, -1, iterations));
    return mix(sum, caught);
  }

  // The phase in chunks: spin is called often enough to get a normal compilation (with the
  // calls below inlined) besides the OSR one, and both trap when the phase changes.
  private long phase(Shape[] shapes, int round, int rareFrom, int signs, int length) {
    long sum = 0;
    for (int from = 0; from < length; from += CHUNK) {
      sum = mix(sum, spin(shapes, round, rareFrom, signs, from, Math.min(length, from + CHUNK)));
    }
    return sum;
  }

  // Many values live across the traps: C2 runs out of other registers and keeps some in rbp, an
  // ordinary register in compiled Java code (without -XX:+PreserveFramePointer). Ten of the
  // twelve lanes hold -1..-7: a trap or a native call taken with one of them in rbp leaves
  // 0xffffffff to 0xfffffff9 there. With a heap under 4 GiB (32-bit compressed oops) the heap ends
  // at 0x100000000, so those addresses are mapped and the bytes after them are not: a stack walk
  // that takes rbp for a frame address and reads 8 bytes there faults (issue 12's crash).
  private long spin(Shape[] shapes, int round, int rareFrom, int signs, int from, int to) {
    long sum = round;
    int[] lanes = LANES;
    for (int i = from; i < to; i++) {
      int m0 = lanes[i & 7], m1 = lanes[(i + 1) & 7], m2 = lanes[(i + 2) & 7];
      int m3 = lanes[(i + 3) & 7], m4 = lanes[(i + 4) & 7], m5 = lanes[(i + 5) & 7];
      int m6 = lanes[(i + 6) & 7], m7 = lanes[(i + 7) & 7], m8 = lanes[(i + 8) & 7] ^ i;
      int m9 = lanes[(i + 9) & 7] + i, m10 = lanes[(i + 10) & 7], m11 = lanes[(i + 11) & 7];
      Shape shape = shapes[i % shapes.length];
      long x = shape.area(i + round); // class check (phases 2-4), CHA (phase 2)
      if (i >= rareFrom) { // never taken in phase 1: unstable_if later
        x += rare(shape, i);
      }
      try {
        // Never below 0 until signs turns on (phase 3); then a lane of -1..-7 added to an index
        // below 7 goes below 0 (about 1 in 10): range_check. The (i & 63) term changes no
        // index; it is one more value live in a register.
        x += table[((i * 5) & (TABLE - 1)) + (m0 & signs & -(i & 63 ^ 63) >> 31)];
      } catch (ArrayIndexOutOfBoundsException ex) {
        caught++;
      }
      try {
        x += ((String) payload).length(); // null in phase 4: null_check
      } catch (NullPointerException ex) {
        caught += 3;
      }
      if ((i & 1023) == 511) {
        x = mix(x, nativeWork(i + round, m1, sum));
      }
      sum = sum * 31 + x + 3 * m0 + 5 * m1 + 7 * m2 + 11 * m3 + 13 * m4 + 17 * m5 + 19 * m6
          + 23 * m7 + 29 * m8 + 31 * m9 + 37 * m10 + 41 * m11;
    }
    return sum;
  }

  // Cold in phase 1; the checkcast only ever sees Circle and Square until phase 4.
  private long rare(Shape shape, int i) {
    try {
      Circle c = (Circle) shape;
      return c.area(i & 255) ^ i;
    } catch (ClassCastException e) {
      caught += 5;
      return i & 15;
    }
  }

  // Native memory from compiled code: a direct buffer (os::malloc through Unsafe), and a zlib
  // round trip with both streams ended (about 270 KiB malloc'ed and freed).
  // String building, too: StringBuilder.append(long) is compiled by C2 for the whole JVM, and
  // its profile flips when the numbers turn negative and long in later phases.
  private long nativeWork(int seed, int small, long big) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(1024 + (seed & 7) * 512);
    buffer.putInt(0, seed);
    long sum = buffer.getInt(0) + buffer.capacity();
    String label = new StringBuilder()
                       .append(seed)
                       .append('/')
                       .append(small - 30000)
                       .append('/')
                       .append(big)
                       .toString();
    sum += label.length() + label.charAt(label.length() - 1);
    if ((seed & 3072) == 0) {
      Deflater deflater = new Deflater(1 + (seed & 7));
      Inflater inflater = new Inflater();
      try {
        deflater.setInput(input, 0, 1024 + (seed & 1023));
        deflater.finish();
        int n = deflater.deflate(packed);
        inflater.setInput(packed, 0, n);
        int m = inflater.inflate(unpacked);
        CRC32 crc = new CRC32();
        crc.update(unpacked, 0, m);
        sum += n + crc.getValue();
      } catch (DataFormatException e) {
        throw new IllegalStateException(e);
      } finally {
        inflater.end();
        deflater.end();
      }
    }
    return sum;
  }

  private static long mix(long a, long b) {
    return (a * 0x9E3779B97F4A7C15L) ^ b;
  }
}
// SPDX-License-Identifier: Apache-2.0

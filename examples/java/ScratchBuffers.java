import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Per-batch scratch space in direct native memory (HotSpot's {@code Unsafe_AllocateMemory0}),
 * allocated, used and released at once: steady native allocation that is freed correctly and
 * must not look like a leak.
 *
 * <p>Release is explicit, so the memory is freed now rather than whenever GC runs: on JDK 22+
 * through a confined {@code java.lang.foreign.Arena} (found by reflection: this file compiles
 * for Java 17), before that through {@code sun.misc.Unsafe.invokeCleaner} on a direct
 * ByteBuffer (which JDK 24+ would warn about on stderr). Either way the bytes come from the same
 * native allocator.
 */
final class ScratchBuffers {
  private final Native memory = Native.find();
  private long released;
  private long releasedBytes;

  long released() {
    return released;
  }

  long releasedBytes() {
    return releasedBytes;
  }

  /** Fills a buffer of `bytes` with a pattern, sums it, releases it; returns the sum. */
  long use(int bytes, int seed) {
    Object[] owner = new Object[1];
    ByteBuffer buffer = memory.allocate(bytes, owner);
    for (int i = 0; i < bytes; i += 8) buffer.putLong(i, (long) seed * i);
    long sum = 0;
    for (int i = 0; i < bytes; i += 4096) sum += buffer.getLong(i);
    memory.release(buffer, owner[0]);
    ++released;
    releasedBytes += bytes;
    return sum & 0xffffffffL;
  }

  /** One way to get and free native memory, chosen once for the running JDK. */
  private interface Native {
    /** Allocates; sets owner[0] to what release needs besides the buffer. */
    ByteBuffer allocate(int bytes, Object[] owner);

    void release(ByteBuffer buffer, Object owner);

    static Native find() {
      try {
        if (Runtime.version().feature() >= 22) return new ArenaNative();
        return new CleanerNative();
      } catch (ReflectiveOperationException | RuntimeException e) {
        throw new IllegalStateException("no way to release native memory on this JDK", e);
      }
    }
  }

  private static final class ArenaNative implements Native {
    private final Method ofConfined;
    private final Method allocate;
    private final Method asByteBuffer;
    private final Method close;

    ArenaNative() throws ReflectiveOperationException {
      Class<?> arena = Class.forName("java.lang.foreign.Arena");
      ofConfined = arena.getMethod("ofConfined");
      allocate = arena.getMethod("allocate", long.class);
      asByteBuffer = Class.forName("java.lang.foreign.MemorySegment").getMethod("asByteBuffer");
      close = arena.getMethod("close");
    }

    @Override
    public ByteBuffer allocate(int bytes, Object[] owner) {
      try {
        owner[0] = ofConfined.invoke(null);
        return (ByteBuffer) asByteBuffer.invoke(allocate.invoke(owner[0], (long) bytes));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void release(ByteBuffer buffer, Object owner) {
      try {
        close.invoke(owner);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static final class CleanerNative implements Native {
    private final Object unsafe;
    private final Method invokeCleaner;

    CleanerNative() throws ReflectiveOperationException {
      Class<?> type = Class.forName("sun.misc.Unsafe");
      Field field = type.getDeclaredField("theUnsafe");
      field.setAccessible(true);
      unsafe = field.get(null);
      invokeCleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
    }

    @Override
    public ByteBuffer allocate(int bytes, Object[] owner) {
      return ByteBuffer.allocateDirect(bytes);
    }

    @Override
    public void release(ByteBuffer buffer, Object owner) {
      try {
        invokeCleaner.invoke(unsafe, buffer);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
// SPDX-License-Identifier: Apache-2.0

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A stress test for the JVMTI agent (issue 6): native memory allocated from many threads while
 * the JIT compiles and deoptimises, the GC runs and classes are loaded and unloaded. Threads
 * allocate direct ByteBuffers and compress with Deflaters (ended), and every few rounds load
 * {@link Unloadable} through a fresh class loader, run it and drop the loader, so its class is
 * unloaded at a later GC while stacks naming its methods may still be recorded. Prints only
 * deterministic results, so runs with and without the agent compare byte for byte.
 *
 * Usage: AgentStress [threads] [rounds]
 */
public final class AgentStress {
  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    URL classes = AgentStress.class.getProtectionDomain().getCodeSource().getLocation();
    AtomicLong total = new AtomicLong();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers[t] = new Thread(() -> {
        try {
          total.addAndGet(work(id, rounds, classes));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      }, "stress-" + t);
      workers[t].start();
    }
    for (Thread w : workers) w.join();
    System.out.println("threads " + threads + " rounds " + rounds + " total " + total.get());
  }

  static long work(int id, int rounds, URL classes) throws Exception {
    long sum = 0;
    byte[] data = new byte[64 * 1024];
    for (int i = 0; i < data.length; i++) data[i] = (byte) ((i * (id + 7)) ^ (i >> 9));
    for (int round = 0; round < rounds; round++) {
      ByteBuffer direct = ByteBuffer.allocateDirect(4096 + 512 * (round % 16));
      direct.put(0, (byte) round);
      sum += direct.capacity();
      Deflater deflater = new Deflater(1 + round % 9);
      deflater.setInput(data);
      deflater.finish();
      byte[] out = new byte[data.length + 1024];
      int n = deflater.deflate(out);
      deflater.end();
      CRC32 crc = new CRC32();
      crc.update(out, 0, n);
      sum += crc.getValue() & 0xffff;
      if (round % 25 == id % 25) {
        // A loader that does not delegate Unloadable to the app loader: its own copy of the
        // class, unloadable once the loader is dropped.
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, null)) {
          Class<?> unloadable = Class.forName("Unloadable", true, loader);
          Object instance = unloadable.getDeclaredConstructor().newInstance();
          sum += ((Number) unloadable.getMethod("compress", int.class).invoke(instance, round))
              .longValue();
        }
      }
      if (round % 50 == 49) System.gc();
    }
    return sum;
  }
}
// SPDX-License-Identifier: Apache-2.0

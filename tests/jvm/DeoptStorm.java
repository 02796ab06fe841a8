import java.net.URL;
import java.net.URLClassLoader;
import java.util.function.IntToLongFunction;

/**
 * A workload that makes HotSpot deoptimize often while it allocates native memory, for
 * scripts/soak-jvm (issue 12: a sampled malloc inside Deoptimization::fetch_unroll_info_helper
 * crashed the stack walk). Worker threads, like a Spark executor's task threads, each run rounds
 * of {@link DeoptRound}, every round through a class loader of its own: fresh classes, fresh
 * profiles, fresh compiled code whose assumptions the round breaks (see DeoptRound). Old loaders
 * are dropped, so their classes unload at a later GC, which also discards compiled code.
 *
 * <p>Prints only what the rounds compute, never timing: with and without the recorder, under any
 * collector, JIT mode or heap size, the same arguments print the same bytes.
 *
 * <pre>
 * Usage: DeoptStorm [threads (2)] [rounds per thread (6)] [iterations per phase (30000)]
 * </pre>
 */
public final class DeoptStorm {
  private DeoptStorm() {}

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
    int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 30000;
    URL classes = DeoptStorm.class.getProtectionDomain().getCodeSource().getLocation();
    long[] sums = new long[threads];
    Throwable[] failures = new Throwable[threads];
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers[t] = new Thread(() -> {
        try {
          sums[id] = work(id, rounds, iterations, classes);
        } catch (Throwable e) {
          failures[id] = e;
        }
      }, "deopt-" + t);
      workers[t].start();
    }
    long total = 0;
    for (int t = 0; t < threads; t++) {
      workers[t].join();
      if (failures[t] != null)
        throw new RuntimeException("worker " + t, failures[t]);
      System.out.println("DeoptStorm: thread " + t + " checksum " + Long.toHexString(sums[t]));
      total = total * 31 + sums[t];
    }
    System.out.println("DeoptStorm: " + threads + " threads, " + rounds + " rounds, " + iterations
        + " iterations per phase, total " + Long.toHexString(total));
  }

  private static long work(int id, int rounds, int iterations, URL classes) throws Exception {
    long sum = 0;
    for (int r = 0; r < rounds; r++) {
      int round = id * 1000 + r;
      // Parent null: the loader defines its own DeoptRound and Shape classes instead of
      // delegating to the application loader, so nothing from earlier rounds is reused.
      try (URLClassLoader loader = new URLClassLoader(new URL[] {classes}, null)) {
        IntToLongFunction body = (IntToLongFunction) Class.forName("DeoptRound", true, loader)
                                     .getDeclaredConstructor(int.class)
                                     .newInstance(iterations);
        sum = sum * 0x100000001B3L + body.applyAsLong(round);
      }
      // A collection now and then unloads earlier rounds' classes and their compiled code.
      if (r % 3 == 2)
        System.gc();
    }
    return sum;
  }
}
// SPDX-License-Identifier: Apache-2.0

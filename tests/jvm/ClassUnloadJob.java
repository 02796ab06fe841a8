import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.zip.Deflater;

/**
 * Java frames of a class that is gone (issue 6): {@link Unloadable}, loaded through a class loader
 * of its own, leaks native memory from its own method (Deflaters never ended, kept alive here);
 * then the loader is dropped and the class unloaded, and only then is a dump written. The dump
 * must still name {@code Unloadable.leak} with its line: the agent has to ask for the names while
 * the class is loaded.
 *
 * <p>Driven by tests/jvm/jvm_java_frames.py (mode unload): after the unload it prints two lines
 * and waits for a line on stdin, while the test has a dump written; then it exits (the exit
 * dump).
 *
 * <pre>
 * Usage: ClassUnloadJob [deflaters] [settle-ms]
 * </pre>
 */
public final class ClassUnloadJob {
  // JDK objects only: they keep the native streams alive but not Unloadable's class loader.
  private static final List<Deflater> kept = new ArrayList<>();

  private ClassUnloadJob() {}

  public static void main(String[] args) throws Exception {
    int deflaters = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    long settleMs = args.length > 1 ? Long.parseLong(args[1]) : 200;
    URL classes = ClassUnloadJob.class.getProtectionDomain().getCodeSource().getLocation();
    WeakReference<ClassLoader> loader = leakThroughOwnLoader(classes, deflaters);
    // The agent names a method within milliseconds of its first sample; the unload comes later.
    Thread.sleep(settleMs);
    for (int i = 0; i < 20 && loader.get() != null; i++) {
      System.gc();
      Thread.sleep(20);
    }
    System.out.println("leaked deflaters: " + kept.size());
    System.out.println("class loader collected: " + (loader.get() == null));
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in)).readLine();
  }

  // Its own frame, so no local variable of main keeps the loader, class or instance reachable.
  @SuppressWarnings("unchecked")
  private static WeakReference<ClassLoader> leakThroughOwnLoader(URL classes, int deflaters)
      throws Exception {
    // Parent null: the loader defines its own Unloadable instead of delegating to the app loader.
    URLClassLoader loader = new URLClassLoader(new URL[] {classes}, null);
    Class<?> unloadable = Class.forName("Unloadable", true, loader);
    IntFunction<Deflater> leaker =
        (IntFunction<Deflater>) unloadable.getDeclaredConstructor().newInstance();
    for (int i = 0; i < deflaters; i++) kept.add(leaker.apply(1 + i % 9));
    loader.close();
    return new WeakReference<>(loader);
  }
}
// SPDX-License-Identifier: Apache-2.0

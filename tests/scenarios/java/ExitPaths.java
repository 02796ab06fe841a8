// The JVM's ways out that the _exit hooks meet (scenario_exit_test.cc). Modes (args[0]):
//   halt        Runtime.halt(3): OpenJDK 17 and later end it through exit() on the VM thread
//   crash       a write through Unsafe to address 16: the JVM's SIGSEGV handler reports the
//               crash and, with -XX:-CreateCoredumpOnCrash, calls _exit(1) from the handler
//   spawn-fail  start a missing program (run with -Djdk.lang.Process.launchMechanism=VFORK: the
//               vfork child calls _exit when exec fails), print "spawn failed", System.exit(5)
import java.io.IOException;
import java.lang.reflect.Field;

public class ExitPaths {
  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "halt":
        Runtime.getRuntime().halt(3);
        break;
      case "crash":
        // Through reflection, so javac has no internal API to warn about.
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field field = unsafeClass.getDeclaredField("theUnsafe");
        field.setAccessible(true);
        unsafeClass.getMethod("putAddress", long.class, long.class)
            .invoke(field.get(null), 16L, 1L);
        break;
      case "spawn-fail":
        try {
          new ProcessBuilder("/nonexistent/leakscope-test-program").start();
        } catch (IOException expected) {
          System.out.println("spawn failed");
        }
        System.exit(5);
        break;
      default:
        System.exit(100);
    }
  }
}

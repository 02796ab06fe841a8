// SPDX-License-Identifier: Apache-2.0
import java.io.File;
import java.util.zip.Deflater;

/**
 * The JVM that tests/jvm/jvm_attach.py attaches to: started with no leakscope setting, it prints
 * "ready", then opens and closes a Deflater every 20 ms (native memory and zlib calls for an
 * attached recorder to see) until the file named by its argument exists, and prints "done". Its
 * output is the same whatever is attached to it.
 */
public final class AttachTarget {
  public static void main(String[] args) throws Exception {
    File stop = new File(args[0]);
    System.out.println("ready");
    System.out.flush();
    byte[] input = new byte[4096];
    byte[] output = new byte[8192];
    while (!stop.exists()) {
      Deflater deflater = new Deflater();
      deflater.setInput(input);
      deflater.finish();
      deflater.deflate(output);
      deflater.end();
      Thread.sleep(20);
    }
    System.out.println("done");
  }
}

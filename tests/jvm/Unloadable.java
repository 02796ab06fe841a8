import java.util.function.IntFunction;
import java.util.zip.Deflater;

/**
 * Loaded through throw-away class loaders, so its class is unloaded once the loader is dropped:
 * {@link AgentStress} runs {@link #compress} (a Deflater, ended) while stacks naming it are
 * recorded; {@link ClassUnloadJob} calls {@link #apply}, which leaks a Deflater from
 * {@link #leak}, and unloads the class before any dump names the method.
 */
public final class Unloadable implements IntFunction<Deflater> {
  public int compress(int seed) {
    byte[] data = new byte[8192];
    for (int i = 0; i < data.length; i++) data[i] = (byte) (i * seed);
    Deflater deflater = new Deflater();
    deflater.setInput(data);
    deflater.finish();
    byte[] out = new byte[9000];
    int n = deflater.deflate(out);
    deflater.end();
    return n;
  }

  /** A Deflater never ended: its native zlib stream lives as long as the caller keeps it. */
  public Deflater leak(int level) {
    return new Deflater(level);
  }

  @Override
  public Deflater apply(int level) {
    return leak(level);
  }
}
// SPDX-License-Identifier: Apache-2.0

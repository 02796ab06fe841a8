import java.util.zip.Deflater;

/**
 * Loaded through throw-away class loaders by {@link AgentStress}: its methods appear in recorded
 * stacks and its class is unloaded afterwards. Allocates native memory (a Deflater, ended).
 */
public final class Unloadable {
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
}

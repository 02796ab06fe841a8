import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The plainest inflate leak (issue 16, part 4): each batch opens GZIPInputStreams over an
 * in-memory gzip file, reads from each (so zlib allocates the stream's 32 KiB window inside
 * inflate()), closes some and keeps the others open and referenced, so no Cleaner ends them.
 * tests/jvm/jvm_gzip_leak.py checks that leakscope reports one suspect for it, at the stack that
 * opened the streams, holding the window too.
 *
 * <p>Prints the truth, never timing: the same arguments print the same bytes.
 *
 * <pre>
 * Usage: GzipLeak [batches (20)] [leaked per batch (10)] [closed per batch (5)] [batch ms (100)]
 * </pre>
 */
public final class GzipLeak {
  private GzipLeak() {}

  public static void main(String[] args) throws Exception {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    int leakedPerBatch = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int closedPerBatch = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    long batchMs = args.length > 3 ? Long.parseLong(args[3]) : 100;
    byte[] file = gzip(64 * 1024);
    List<InputStream> open = new ArrayList<>();
    long checksum = 0;
    for (int b = 0; b < batches; b++) {
      for (int i = 0; i < leakedPerBatch; i++) {
        InputStream in = openAndRead(file);
        checksum += in.read();
        open.add(in);  // never closed: its Inflater holds native memory until end()
      }
      for (int i = 0; i < closedPerBatch; i++) {
        try (InputStream in = openAndRead(file)) {
          checksum += in.read();
        }
      }
      Thread.sleep(batchMs);
    }
    System.out.printf("GzipLeak: %d batches%n", batches);
    System.out.printf("leaked inflate streams: %d%n", open.size());
    System.out.printf("closed inflate streams: %d%n", batches * closedPerBatch);
    System.out.printf("checksum: %d%n", checksum);
  }

  /** Opens a gzip stream over `file` and reads 4 KiB of it. */
  static InputStream openAndRead(byte[] file) throws IOException {
    InputStream in = new GZIPInputStream(new ByteArrayInputStream(file));
    byte[] buffer = new byte[4096];
    int n = 0;
    while (n < buffer.length) {
      int got = in.read(buffer, n, buffer.length - n);
      if (got < 0) break;
      n += got;
    }
    return in;
  }

  /** A gzip file of `size` bytes of text-like data. */
  static byte[] gzip(int size) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; text.length() < size; i++) {
        text.append("record ").append(i).append(" value ").append(i * 7919 % 1000).append('\n');
      }
      out.write(text.toString().getBytes("US-ASCII"));
    }
    return bytes.toByteArray();
  }
}
// SPDX-License-Identifier: Apache-2.0

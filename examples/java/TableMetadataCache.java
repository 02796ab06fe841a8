import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Keeps table metadata readers open for later use. THE LEAK: {@link #open} caches every
 * {@link GZIPInputStream} it opens under a key that is never looked up again, and nothing ever
 * closes or evicts them: each holds a native inflate stream (~40 KiB once it has read
 * something), like the ~20,000 {@code java.util.zip.Inflater}s in the user's heap histogram.
 * The map keeps them reachable, so neither GC nor the Cleaner frees them.
 *
 * <p>Not thread-safe: the driver thread alone reads metadata.
 */
final class TableMetadataCache {
  private final Map<String, InputStream> open = new HashMap<>();

  int openStreams() {
    return open.size();
  }

  /**
   * Opens a metadata file, reads its header line and caches the stream, still open, to read the
   * rest later (which never happens). Returns the header's CRC-32 (the checksum).
   */
  long open(String key, byte[] gzipped) throws IOException {
    InputStream stream = new GZIPInputStream(new ByteArrayInputStream(gzipped));
    open.put(key, stream);
    // The first inflate() allocates the stream's 32 KiB window: a leaked reader is not cheap.
    byte[] header = new byte[64];
    int n = stream.readNBytes(header, 0, header.length);
    return Checksum.of(header, n);
  }
}
// SPDX-License-Identifier: Apache-2.0

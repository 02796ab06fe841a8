import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip'd metadata files kept in memory, the most recent {@link #KEEP} of them. Everything here
 * uses zlib correctly: {@link #commit} writes through a {@link GZIPOutputStream} and
 * {@link #readFully} reads through a {@link GZIPInputStream}, both closed by try-with-resources,
 * which ends their native streams at once. These are the closed streams that must not look like
 * a leak.
 *
 * <p>Not thread-safe: the driver thread alone commits and reads.
 */
final class MetadataStore {
  static final int KEEP = 16;

  private final List<byte[]> files = new ArrayList<>();
  private long closedDeflaters;
  private long closedInflaters;

  long closedDeflaters() {
    return closedDeflaters;
  }

  long closedInflaters() {
    return closedInflaters;
  }

  int size() {
    return files.size();
  }

  /** The i-th most recent file (0 = newest). */
  byte[] recent(int i) {
    return files.get(files.size() - 1 - (i % files.size()));
  }

  /** Writes one metadata file describing a snapshot; returns its CRC-32 (the checksum). */
  long commit(int batch, int snapshot, long dataChecksum) throws IOException {
    StringBuilder text = new StringBuilder(8192);
    text.append("{\"format-version\": 2, \"snapshot-id\": ").append(batch * 100 + snapshot);
    text.append(",\n \"manifests\": [\n");
    Records ids = new Records(batch * 7919L + snapshot, 120);
    byte[] row;
    int i = 0;
    while ((row = ids.next()) != null) {
      text.append("  {\"path\": \"data/batch-").append(batch).append("/part-").append(i++);
      text.append(".gz\", \"row\": \"").append(new String(row, StandardCharsets.US_ASCII).trim());
      text.append("\", \"checksum\": ").append(dataChecksum).append("},\n");
    }
    text.append(" ]}\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(text.toString().getBytes(StandardCharsets.US_ASCII));
    }
    ++closedDeflaters;
    byte[] file = out.toByteArray();
    files.add(file);
    if (files.size() > KEEP) files.remove(0);
    return Checksum.of(file, file.length);
  }

  /** Reads a whole metadata file and closes it; returns the CRC-32 of its text. */
  long readFully(byte[] gzipped) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      byte[] text = in.readAllBytes();
      ++closedInflaters;
      return Checksum.of(text, text.length);
    }
  }
}
// SPDX-License-Identifier: Apache-2.0

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;

/**
 * Writes one gzip'd "data file" per call, the way Parquet's writer did with the gzip codec
 * before apache/iceberg PR 5126: every writer leases a compressor (a native deflate stream) and
 * never returns it. THE LEAK: {@link #newCompressor} creates a {@link Deflater} that nobody ever
 * {@code end()}s. The leased list keeps each one reachable (as the writer objects did in the
 * user's executor), so neither GC nor the Cleaner ever frees its ~262 KiB of zlib buffers.
 *
 * <p>Thread-safe: tasks on several threads write files at once.
 */
final class DataFileWriter {
  private static final List<Deflater> leased = new ArrayList<>();

  private DataFileWriter() {}

  static int leakedCompressors() {
    synchronized (leased) {
      return leased.size();
    }
  }

  /** The buggy lease: a fresh raw-deflate compressor per file, never returned or ended. */
  static Deflater newCompressor() {
    Deflater compressor = new Deflater(Deflater.DEFAULT_COMPRESSION, /* nowrap= */ true);
    synchronized (leased) {
      leased.add(compressor);
    }
    return compressor;
  }

  /** Writes the rows of one file; returns the CRC-32 of the compressed file (the checksum). */
  static long write(Records records) throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream(64 * 1024);
    Deflater compressor = newCompressor();
    // gzip framing around a raw deflate stream, as Hadoop's GzipCodec does.
    file.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
    CRC32 crc = new CRC32();
    long size = 0;
    DeflaterOutputStream body = new DeflaterOutputStream(file, compressor, 8192);
    byte[] row;
    while ((row = records.next()) != null) {
      body.write(row);
      crc.update(row);
      size += row.length;
    }
    body.finish();  // not close(): the stream does not own the leased compressor
    writeIntLe(file, (int) crc.getValue());
    writeIntLe(file, (int) size);
    CRC32 fileCrc = new CRC32();
    fileCrc.update(file.toByteArray());
    return fileCrc.getValue();
  }

  private static void writeIntLe(ByteArrayOutputStream out, int value) {
    for (int i = 0; i < 4; ++i) out.write(value >>> (8 * i));
  }
}
// SPDX-License-Identifier: Apache-2.0

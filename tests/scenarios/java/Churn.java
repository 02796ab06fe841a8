// A short multi-threaded Java program for the preload: four threads compress and decompress with
// java.util.zip (native zlib streams), allocate direct buffers (native malloc) and report
// checksums; it also leaves five Inflaters open, held until exit, so the recorder has open inflate
// streams to count. Its output is deterministic so runs with and without the preload compare.
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

public class Churn {
  static final List<Inflater> leaked = new ArrayList<>();

  static String work(int id) throws Exception {
    byte[] data = new byte[256 * 1024];
    for (int i = 0; i < data.length; i++) data[i] = (byte) ((i * (id + 3)) ^ (i >> 7));
    long total = 0;
    CRC32 crc = new CRC32();
    for (int round = 0; round < 20; round++) {
      Deflater deflater = new Deflater(6);
      deflater.setInput(data);
      deflater.finish();
      byte[] packed = new byte[data.length + 1024];
      int packedSize = deflater.deflate(packed);
      deflater.end();
      Inflater inflater = new Inflater();
      inflater.setInput(packed, 0, packedSize);
      byte[] unpacked = new byte[data.length];
      int n = inflater.inflate(unpacked);
      inflater.end();
      if (n != data.length)
        throw new IllegalStateException("short inflate");
      crc.update(unpacked);
      ByteBuffer direct = ByteBuffer.allocateDirect(64 * 1024 + round);
      direct.put(unpacked, 0, 1024);
      total += packedSize + direct.capacity();
    }
    return "thread " + id + " crc " + Long.toHexString(crc.getValue()) + " total " + total;
  }

  public static void main(String[] args) throws Exception {
    String[] results = new String[4];
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      final int id = t;
      threads[t] = new Thread(() -> {
        try {
          results[id] = work(id);
        } catch (Exception e) {
          results[id] = "thread " + id + " failed: " + e;
        }
      });
      threads[t].start();
    }
    for (Thread t : threads) t.join();
    for (String r : results) System.out.println(r);
    for (int i = 0; i < 5; i++) leaked.add(new Inflater());
    System.err.println("left " + leaked.size() + " inflaters open");
  }
}
// SPDX-License-Identifier: Apache-2.0

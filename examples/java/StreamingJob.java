import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A Spark-Streaming-like job that leaks native memory batch after batch, modelled on the user's
 * report (a CDC stream written to Iceberg tables, RSS 11.6 GiB while the Java heap held 59 MB).
 *
 * <p>Every batch:
 *
 * <ul>
 *   <li>tasks on two executor threads write data files through a gzip compressor leased per file
 *       and never released: one leaked native deflate stream per file
 *       ({@link DataFileWriter#newCompressor}, the Iceberg ParquetWriter bug);
 *   <li>the driver commits metadata files through properly closed GZIPOutputStreams;
 *   <li>it reads metadata: some readers are cached and never closed, one leaked native inflate
 *       stream each ({@link TableMetadataCache#open}); the others are read fully and closed;
 *   <li>it uses direct ByteBuffers as scratch space and releases them.
 * </ul>
 *
 * <p>At exit it prints the truth: streams leaked by kind and the native bytes they hold
 * ({@link ZlibCost}), streams closed, buffers released, and a checksum of everything written and
 * read. The output has no timestamps and no timing-dependent figure: with and without the
 * recorder, the same options print the same bytes.
 *
 * <pre>
 * Usage: StreamingJob [--batch-ms N] [--batches N | --seconds N] [--files N] [--cached N]
 *                     [--reads N] [--commits N] [--buffers N] [--quiet]
 * </pre>
 */
public final class StreamingJob {
  private static final String USAGE =
      "Usage: StreamingJob [--batch-ms N] [--batches N | --seconds N] [--files N] [--cached N]\n"
          + "                    [--reads N] [--commits N] [--buffers N] [--quiet]\n"
          + "  --batch-ms N  time per batch (1000); 0 runs batches back to back\n"
          + "  --batches N   number of batches (default: --seconds 40 worth)\n"
          + "  --seconds N   run N seconds' worth of batches (N*1000/batch-ms, at least 1)\n"
          + "  --files N     data files written per batch, each leaking a deflate stream (3)\n"
          + "  --cached N    metadata readers cached per batch, each leaking an inflate stream"
          + " (8)\n"
          + "  --reads N     metadata files read and closed per batch (4)\n"
          + "  --commits N   metadata files written and closed per batch (2)\n"
          + "  --buffers N   64 KiB direct buffers used and released per batch (4)\n"
          + "  --quiet       no line per batch, only the totals\n";

  private static final int ROWS_PER_FILE = 2000;
  private static final int BUFFER_BYTES = 64 * 1024;

  private StreamingJob() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.print("StreamingJob: " + e.getMessage() + "\n" + USAGE);
      System.exit(2);
      return;
    }
    if (options.help) {
      System.out.print(USAGE);
      return;
    }
    run(options);
  }

  private static void run(Options options) throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
      Thread thread = new Thread(runnable, "executor-task");
      thread.setDaemon(true);
      return thread;
    });
    MetadataStore store = new MetadataStore();
    TableMetadataCache cache = new TableMetadataCache();
    ScratchBuffers scratch = new ScratchBuffers();
    long checksum = 0;
    long start = System.nanoTime();
    for (int batch = 0; batch < options.batches; ++batch) {
      long dataChecksum = 0;
      for (long fileCrc : writeDataFiles(executor, batch, options.files)) {
        dataChecksum = Checksum.combine(dataChecksum, fileCrc);
      }
      checksum = Checksum.combine(checksum, dataChecksum);
      for (int i = 0; i < options.commits; ++i) {
        checksum = Checksum.combine(checksum, store.commit(batch, i, dataChecksum));
      }
      if (store.size() > 0) {
        for (int i = 0; i < options.cached; ++i) {
          String key = "snapshot-" + batch + "/reader-" + i;
          checksum = Checksum.combine(checksum, cache.open(key, store.recent(i)));
        }
        for (int i = 0; i < options.reads; ++i) {
          checksum = Checksum.combine(checksum, store.readFully(store.recent(options.cached + i)));
        }
      }
      for (int i = 0; i < options.buffers; ++i) {
        checksum = Checksum.combine(checksum, scratch.use(BUFFER_BYTES, batch * 31 + i));
      }
      if (!options.quiet) {
        System.out.printf("batch %d: %d data files, %d metadata commits, %d cached readers, "
                + "%d closed reads; open streams: %d deflate, %d inflate%n",
            batch, options.files, options.commits, store.size() > 0 ? options.cached : 0,
            store.size() > 0 ? options.reads : 0, DataFileWriter.leakedCompressors(),
            cache.openStreams());
        System.out.flush();
      }
      pace(start, batch + 1, options.batchMs);
    }
    executor.shutdown();
    printTruth(options, store, cache, scratch, checksum);
  }

  private static List<Long> writeDataFiles(ExecutorService executor, int batch, int files)
      throws Exception {
    List<Future<Long>> tasks = new ArrayList<>();
    for (int i = 0; i < files; ++i) {
      long seed = batch * 1009L + i;
      tasks.add(executor.submit(() -> DataFileWriter.write(new Records(seed, ROWS_PER_FILE))));
    }
    List<Long> crcs = new ArrayList<>();
    for (Future<Long> task : tasks) crcs.add(task.get());  // in file order: deterministic
    return crcs;
  }

  // Batch n ends at start + n * batchMs, so the time the work takes does not add up.
  private static void pace(long start, int batchesDone, int batchMs) throws InterruptedException {
    long due = start + batchesDone * (long) batchMs * 1_000_000L;
    long wait = due - System.nanoTime();
    if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
  }

  private static void printTruth(Options options, MetadataStore store, TableMetadataCache cache,
      ScratchBuffers scratch, long checksum) {
    long deflates = DataFileWriter.leakedCompressors();
    long inflates = cache.openStreams();
    long deflateBytes = deflates * ZlibCost.DEFLATE_STREAM;
    long inflateBytes = inflates * ZlibCost.INFLATE_STREAM;
    StringBuilder out = new StringBuilder();
    out.append(String.format("StreamingJob: %d batches of %d ms; per batch %d data files, "
            + "%d commits, %d cached readers, %d closed reads, %d direct buffers%n",
        options.batches, options.batchMs, options.files, options.commits, options.cached,
        options.reads, options.buffers));
    out.append(String.format("leaked deflate streams: %d (DataFileWriter.newCompressor: "
            + "Deflater never end()ed)%n", deflates));
    out.append(String.format("leaked deflate bytes: %d (%d per stream)%n", deflateBytes,
        ZlibCost.DEFLATE_STREAM));
    out.append(String.format("leaked inflate streams: %d (TableMetadataCache.open: "
            + "GZIPInputStream cached, never closed)%n", inflates));
    out.append(String.format("leaked inflate bytes: %d (%d per stream)%n", inflateBytes,
        ZlibCost.INFLATE_STREAM));
    out.append(String.format("leaked bytes: %d%n", deflateBytes + inflateBytes));
    out.append(String.format("closed deflate streams: %d%n", store.closedDeflaters()));
    out.append(String.format("closed inflate streams: %d%n", store.closedInflaters()));
    out.append(String.format("direct buffers released: %d (%d bytes)%n", scratch.released(),
        scratch.releasedBytes()));
    out.append(String.format("checksum: %08x%n", checksum));
    System.out.print(out);
    System.out.flush();
  }

  /** Command-line options. */
  static final class Options {
    int batchMs = 1000;
    int batches = -1;
    int seconds = 40;
    int files = 3;
    int cached = 8;
    int reads = 4;
    int commits = 2;
    int buffers = 4;
    boolean quiet;
    boolean help;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; ++i) {
        String arg = args[i];
        // Classic switch statements, not switch rules: the class files target Java 11, the
        // oldest JDK the platform matrix runs (docs/platforms.md).
        switch (arg) {
          case "--quiet": o.quiet = true; break;
          case "-h":
          case "--help": o.help = true; break;
          case "--batch-ms": o.batchMs = number(args, ++i, arg); break;
          case "--batches": o.batches = number(args, ++i, arg); break;
          case "--seconds": o.seconds = number(args, ++i, arg); break;
          case "--files": o.files = number(args, ++i, arg); break;
          case "--cached": o.cached = number(args, ++i, arg); break;
          case "--reads": o.reads = number(args, ++i, arg); break;
          case "--commits": o.commits = number(args, ++i, arg); break;
          case "--buffers": o.buffers = number(args, ++i, arg); break;
          default: throw new IllegalArgumentException("unknown option " + arg);
        }
      }
      if (o.batches < 0) {
        o.batches = o.batchMs == 0 ? o.seconds : Math.max(1, o.seconds * 1000 / o.batchMs);
      }
      if (o.commits == 0 && (o.cached > 0 || o.reads > 0)) {
        throw new IllegalArgumentException("--cached and --reads need --commits of at least 1");
      }
      return o;
    }

    private static int number(String[] args, int i, String option) {
      if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
      try {
        int value = Integer.parseInt(args[i]);
        if (value < 0) throw new NumberFormatException();
        return value;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + ": not a non-negative integer: " + args[i]);
      }
    }
  }
}
// SPDX-License-Identifier: Apache-2.0

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/**
 * Asks leakscope for a labelled dump of this JVM: code running in a Spark executor task (or any
 * JVM that records under leakscope) calls {@link #request} at the end of a micro-batch.
 *
 * <p>The recorder keeps a status file, {@code <TMPDIR or /tmp>/leakscope-<uid>/leakscope.<pid>.status}
 * (docs/dump-format.md, Files), whose {@code trigger=} line names the file that requests a dump.
 * This class writes the label into a temporary file in the dump directory and renames it to that
 * name, so the recorder (which looks once a second) never reads half a label. It reads only this
 * JVM's own status file: a task can only ask for its own executor's dump, which is what a
 * StreamingQueryListener on the driver cannot do.
 *
 * <p>{@code main} is the test workload of tests/jvm/jvm_dump_label.py: batches that leak a
 * Deflater each and ask for a dump labelled with the batch number after each.
 */
public final class LeakscopeDumps {
  private LeakscopeDumps() {}

  /**
   * Requests a dump of this JVM labelled {@code label} (its first line, at most 256 bytes, is
   * kept). Returns the trigger path written, or null when this JVM does not record with leakscope
   * (no status file: none, or not yet in the first moments of the JVM) or the request could not
   * be written; never throws.
   */
  public static Path request(String label) {
    try {
      Path status = findStatusFile();
      if (status == null) return null;
      Path trigger = null;
      for (String line : Files.readAllLines(status, StandardCharsets.UTF_8)) {
        if (line.startsWith("trigger=")) trigger = Paths.get(line.substring("trigger=".length()));
      }
      if (trigger == null) return null;
      Path temp = Files.createTempFile(trigger.getParent(), ".leakscope-request-", ".tmp");
      try {
        Files.write(temp, (label + "\n").getBytes(StandardCharsets.UTF_8));
        Files.move(temp, trigger, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(temp);
      }
      return trigger;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** This JVM's status file, or null: in leakscope-<uid>, then its leakscope-<uid>-* fallbacks. */
  static Path findStatusFile() throws IOException {
    String tmp = System.getenv("TMPDIR");
    List<Path> parents = new ArrayList<>();
    if (tmp != null && tmp.startsWith("/")) parents.add(Paths.get(tmp));
    parents.add(Paths.get("/tmp"));
    long pid = ProcessHandle.current().pid();
    String user = "leakscope-" + effectiveUid();
    for (Path parent : parents) {
      List<Path> dirs = new ArrayList<>();
      dirs.add(parent.resolve(user));
      if (Files.isDirectory(parent)) {
        try (DirectoryStream<Path> fallbacks = Files.newDirectoryStream(parent, user + "-??????")) {
          for (Path dir : fallbacks) dirs.add(dir);
        }
      }
      for (Path dir : dirs) {
        Path status = dir.resolve("leakscope." + pid + ".status");
        if (Files.isRegularFile(status)) return status;
      }
    }
    return null;
  }

  /** The second field of the Uid: line of /proc/self/status: the recorder's files' owner. */
  static String effectiveUid() throws IOException {
    for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
      if (line.startsWith("Uid:")) return line.substring(4).trim().split("\\s+")[1];
    }
    throw new IOException("no Uid: line in /proc/self/status");
  }

  /** Test workload: BATCHES batches, each leaking one Deflater, then a labelled dump request. */
  public static void main(String[] args) throws Exception {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    List<Deflater> leaked = new ArrayList<>();
    // The recorder's dumper thread writes the status file once it runs: on a loaded machine that
    // can come after main starts. An executor's tasks come long after.
    for (int waited = 0; findStatusFile() == null; waited += 20) {
      if (waited > 20_000) {
        System.err.println("LeakscopeDumps: this JVM does not record with leakscope");
        System.exit(3);
      }
      Thread.sleep(20);
    }
    for (int batchId = 1; batchId <= batches; batchId++) {
      leaked.add(new Deflater());
      Path trigger = LeakscopeDumps.request("batch " + batchId);
      if (trigger == null) {
        System.err.println("LeakscopeDumps: this JVM does not record with leakscope");
        System.exit(3);
      }
      // Wait until the recorder took the request (it removes the trigger), so each batch gets
      // a dump of its own rather than one request replacing the previous one.
      for (int waited = 0; Files.exists(trigger); waited += 20) {
        if (waited > 20_000) {
          System.err.println("LeakscopeDumps: the recorder did not take " + trigger);
          System.exit(4);
        }
        Thread.sleep(20);
      }
    }
    System.out.println("batches " + batches + ", deflaters " + leaked.size());
  }
}
// SPDX-License-Identifier: Apache-2.0

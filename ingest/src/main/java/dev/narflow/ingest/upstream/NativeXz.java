package dev.narflow.ingest.upstream;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes xz with the native {@code xz} binary: a child process {@code xz -dc} fed from the HTTP
 * stream by a thread, its stdout read by the caller.
 *
 * <p>Why: xz is what most of cache.nixos.org serves, and xz-java costs noticeably more CPU. Measured
 * with {@code XzDecodeBenchmark} (ingest test sources; 2026-12-01, this project's 2-core machine
 * under load from other jobs, so CPU seconds, not wall time; OpenJDK 17.0.15, xz 5.4.1, files
 * written by {@code xz -6} as Nix writes them, both decoders fed through a pipe from Java):
 * <ul>
 *   <li>52.5 MB NAR of Python 3.11's library, 10.2 MB as xz: xz-java 0.74–0.84 s CPU, {@code xz -dc}
 *       0.54–0.60 s (about 1.4x less);
 *   <li>271 MB NAR of a JDK 17, 115 MB as xz: xz-java 7.4–7.5 s, {@code xz -dc} 6.2–6.5 s (1.16x);
 *   <li>1 MiB of NAR, 268 KiB as xz, 200 times: xz-java 21 ms CPU per file, {@code xz -dc} 19.5–20.5 ms
 *       including the process start (see {@link NarDecoders#NATIVE_XZ_MIN_FILE_SIZE}).
 * </ul>
 * On a 2-core machine the decoder competes with chunking and hashing for the same cores, so the
 * CPU saved is throughput gained. {@code -T1}: a file Nix wrote single-threaded is one xz block
 * ({@code -T2} measured no faster on these), and multi-threaded xz buffers whole blocks per thread,
 * which with many NARs in flight would break the memory bound; parallelism comes from several NARs
 * in flight instead.
 *
 * <p>The process is spawned per NAR, so small files stay with xz-java (see {@link NarDecoders}).
 * If the binary cannot be started, xz-java is used: it always works.
 * Checks are unchanged: VerifiedNar still bounds and hashes every byte that comes out, and kills
 * the process when it stops early.
 */
final class NativeXz implements VerifiedNar.Decoder {
  private static final Logger log = LoggerFactory.getLogger(NativeXz.class);

  private final String executable;

  NativeXz(String executable) {
    this.executable = executable;
  }

  /** The {@code xz} on PATH, if there is one. */
  static Optional<NativeXz> onPath() {
    String path = System.getenv("PATH");
    if (path == null) return Optional.empty();
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) continue;
      Path candidate = Path.of(dir, "xz");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(new NativeXz(candidate.toString()));
      }
    }
    return Optional.empty();
  }

  String executable() {
    return executable;
  }

  @Override
  public InputStream open(InputStream compressed) throws IOException {
    Process process;
    try {
      // Same memory cap as the xz-java path (Compression.XZ); -q: one line of stderr at most.
      process = new ProcessBuilder(executable, "-d", "-c", "-q", "-T1", "--memlimit-decompress=256MiB").start();
    } catch (IOException e) {
      log.warn("cannot start {} ({}); decoding xz in Java", executable, e.getMessage());
      return Compression.XZ.decompress(compressed);
    }
    Feeder feeder = new Feeder(compressed, process.getOutputStream());
    Thread t = new Thread(feeder, "narflow-xz-feeder");
    t.setDaemon(true);
    t.start();
    return new Output(process, feeder, t, compressed);
  }

  /** Copies the compressed bytes into xz's stdin; remembers a failure reading them (the network). */
  private static final class Feeder implements Runnable {
    private final InputStream compressed;
    private final OutputStream stdin;
    private volatile IOException readFailure;

    Feeder(InputStream compressed, OutputStream stdin) {
      this.compressed = compressed;
      this.stdin = stdin;
    }

    @Override
    public void run() {
      byte[] buf = new byte[64 * 1024];
      try (stdin) {
        while (true) {
          int n;
          try {
            n = compressed.read(buf, 0, buf.length);
          } catch (IOException e) {
            readFailure = e; // closing stdin makes xz stop on a truncated stream; the reader reports this
            return;
          }
          if (n < 0) return;
          stdin.write(buf, 0, n); // fails when xz has exited (corrupt data): its exit status says why
        }
      } catch (IOException | RuntimeException e) {
        // xz went away; Output reports its exit status
      }
    }
  }

  /** xz's stdout; at its end the exit status and the feeder's fate decide between EOF and an error. */
  private static final class Output extends BulkInputStream {
    private final Process process;
    private final Feeder feeder;
    private final Thread feederThread;
    private final InputStream compressed;
    private final InputStream stdout;
    private boolean ended;

    Output(Process process, Feeder feeder, Thread feederThread, InputStream compressed) {
      this.process = process;
      this.feeder = feeder;
      this.feederThread = feederThread;
      this.compressed = compressed;
      this.stdout = process.getInputStream();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (ended) return -1;
      int n = stdout.read(b, off, len);
      if (n >= 0) return n;
      try {
        feederThread.join();
        if (feeder.readFailure != null) throw feeder.readFailure;
        int exit = process.waitFor();
        if (exit != 0) {
          String err = new String(process.getErrorStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
          throw new IOException("xz data is corrupt or truncated: xz -d exited " + exit
              + (err.isEmpty() ? "" : ": " + err));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted waiting for xz");
      }
      ended = true;
      return -1;
    }

    @Override
    public void close() throws IOException {
      process.destroyForcibly();
      compressed.close(); // wakes a feeder blocked on the network
      stdout.close();
      process.getErrorStream().close();
    }
  }
}

package dev.narflow.ingest.upstream.bench;

import dev.narflow.ingest.upstream.Compression;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * xz decoding speed: xz-java (what {@link Compression#XZ} uses) against the native {@code xz -dc},
 * both fed through a pipe from Java as the upstream client would feed them. A plain main rather
 * than JMH: one decode of a real NAR takes seconds, so harness overhead is irrelevant and the
 * figure wanted is "MB of NAR per second of wall and CPU time".
 *
 * <p>Usage: {@code XzDecodeBenchmark FILE.nar.xz [rounds]}; make the file with e.g.
 * {@code nix-store --dump /usr/lib/jvm/java-17-openjdk-amd64 | xz -6 > jdk.nar.xz}.
 */
public final class XzDecodeBenchmark {
  private XzDecodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    System.out.printf("%s: %.1f MB compressed%n", file, Files.size(file) / 1e6);
    for (int r = 0; r < rounds; r++) {
      report("xz-java (XZInputStream)", () -> drain(Compression.XZ.decompress(
          new BufferedInputStream(Files.newInputStream(file), 64 * 1024))));
      report("xz -dc, fed through a pipe", () -> nativeDecode(file, "xz", "-dc"));
      report("xz -dc -T2, fed through a pipe", () -> nativeDecode(file, "xz", "-dc", "-T2"));
    }
    smallFiles(file, rounds);
  }

  /** Per-file cost on small NARs, where starting a process is not free: the first 1 MiB of the NAR. */
  private static void smallFiles(Path file, int rounds) throws Exception {
    byte[] head;
    try (InputStream in = Compression.XZ.decompress(new BufferedInputStream(Files.newInputStream(file)))) {
      head = in.readNBytes(1 << 20);
    }
    Path small = Files.createTempFile("xz-small", ".nar.xz");
    try {
      Process p = new ProcessBuilder("xz", "-6", "-c").redirectOutput(small.toFile()).start();
      try (OutputStream out = p.getOutputStream()) {
        out.write(head);
      }
      if (p.waitFor() != 0) throw new IOException("xz -6 failed");
      byte[] compressed = Files.readAllBytes(small);
      int files = 200;
      System.out.printf("%d files of %d bytes NAR, %d bytes xz:%n", files, head.length, compressed.length);
      for (int r = 0; r < rounds; r++) {
        report("xz-java, per file x" + files, () -> {
          long total = 0;
          for (int i = 0; i < files; i++) total += drain(Compression.XZ.decompress(new java.io.ByteArrayInputStream(compressed)));
          return total;
        });
        report("xz -dc, per file x" + files, () -> {
          long total = 0;
          for (int i = 0; i < files; i++) total += nativeDecode(small, "xz", "-dc");
          return total;
        });
      }
    } finally {
      Files.delete(small);
    }
  }

  private interface Decode {
    long run() throws Exception;
  }

  private static void report(String what, Decode d) throws Exception {
    var bean = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = bean.getProcessCpuTime();
    long children0 = childrenCpuNanos();
    long t0 = System.nanoTime();
    long bytes = d.run();
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (bean.getProcessCpuTime() - cpu0 + childrenCpuNanos() - children0) / 1e9;
    System.out.printf("  %-32s %7.1f MB NAR  %6.2f s wall  %6.2f s CPU  %6.1f MB/s%n",
        what, bytes / 1e6, wall, cpu, bytes / 1e6 / wall);
  }

  /** CPU time of waited-for children (the xz processes), from /proc/self/stat (cutime + cstime). */
  private static long childrenCpuNanos() throws IOException {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]); // fields 16 and 17 of stat
    return ticks * 10_000_000L; // USER_HZ is 100 on Linux
  }

  private static long drain(InputStream in) throws IOException {
    try (in) {
      byte[] buf = new byte[64 * 1024];
      long total = 0;
      for (int n; (n = in.read(buf)) >= 0; ) total += n;
      return total;
    }
  }

  private static long nativeDecode(Path file, String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Thread feeder = new Thread(() -> {
      try (InputStream in = Files.newInputStream(file); OutputStream out = p.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    feeder.start();
    long n = drain(p.getInputStream());
    feeder.join();
    if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed");
    return n;
  }
}

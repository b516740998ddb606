package dev.narflow.topics.nar.bench;

import com.google.protobuf.ByteString;
import dev.narflow.topics.nar.NarReader;
import dev.narflow.topics.nar.NarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * NAR parse and render throughput on an in-memory NAR of about 64 MiB of contents in a mix of
 * file sizes (mostly small files, some medium, a few large; symlinks; nested directories). The
 * {@code bytes} counter is NAR bytes per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class NarBenchmark {
  @Param("64")
  public int contentsMiB;

  /** The NAR as bytes, for parsing. */
  private byte[] nar;
  /** The same tree as writer calls, contents being slices of {@link #pool}. */
  private final List<Step> steps = new ArrayList<>();
  private byte[] pool;

  private record Step(int kind, ByteString name, boolean executable, int offset, int length) {}

  private static final int START = 0, END = 1, FILE = 2, SYMLINK = 3;

  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Bytes {
    public long bytes;

    @Setup(Level.Iteration)
    public void reset() {
      bytes = 0;
    }
  }

  @Setup
  public void setUp() throws IOException {
    Random random = new Random(1);
    pool = new byte[4 << 20];
    random.nextBytes(pool);
    long target = (long) contentsMiB << 20;
    long total = 0;
    int directory = 0;
    steps.add(new Step(START, ByteString.EMPTY, false, 0, 0));
    while (total < target) {
      steps.add(new Step(START, name("dir", directory++), false, 0, 0));
      steps.add(new Step(START, name("lib", 0), false, 0, 0));
      for (int i = 0; i < 32 && total < target; i++) {
        if (random.nextInt(20) == 0) {
          steps.add(new Step(SYMLINK, name("link", i), false, 0, 0));
          continue;
        }
        int p = random.nextInt(100);
        int size = p < 80 ? random.nextInt(4096) : p < 97 ? 4096 + random.nextInt(60 << 10)
            : (64 << 10) + random.nextInt(2 << 20);
        steps.add(new Step(FILE, name("file", i), random.nextInt(10) == 0, random.nextInt(pool.length - size), size));
        total += size;
      }
      steps.add(new Step(END, null, false, 0, 0));
      steps.add(new Step(END, null, false, 0, 0));
    }
    steps.add(new Step(END, null, false, 0, 0));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    render(out);
    nar = out.toByteArray();
    System.out.printf("%nNAR of %d bytes, %d files and symlinks%n", nar.length,
        steps.stream().filter(s -> s.kind >= FILE).count());
  }

  @Benchmark
  public long parse(Bytes counter, Blackhole bh) throws IOException {
    NarReader reader = new NarReader(new ByteArrayInputStream(nar));
    byte[] buffer = new byte[64 * 1024];
    for (NarReader.Event e; (e = reader.next()) != NarReader.Event.END; ) {
      if (e == NarReader.Event.FILE) {
        InputStream contents = reader.contents();
        for (int n; (n = contents.read(buffer)) > 0; ) bh.consume(buffer[n - 1]);
      } else {
        bh.consume(e);
      }
    }
    counter.bytes += reader.offset();
    return reader.offset();
  }

  @Benchmark
  public long render(Bytes counter) throws IOException {
    Discard out = new Discard();
    render(out);
    counter.bytes += out.count;
    return out.count;
  }

  private void render(OutputStream out) throws IOException {
    NarWriter writer = new NarWriter(out);
    for (Step s : steps) {
      switch (s.kind) {
        case START -> writer.directoryStart(s.name);
        case END -> writer.directoryEnd();
        case SYMLINK -> writer.symlink(s.name, TARGET);
        default -> {
          try (OutputStream contents = writer.openFile(s.name, s.executable, s.length)) {
            contents.write(pool, s.offset, s.length);
          }
        }
      }
    }
  }

  private static final ByteString TARGET = ByteString.copyFromUtf8("../lib/libexample.so.1");

  private static ByteString name(String prefix, int i) {
    return ByteString.copyFromUtf8(String.format("%05d-%s", i, prefix)); // index first: sorted
  }

  /**
   * A sink that copies what it is given once, as a socket or pipe would into its send buffer, so
   * that large contents passed through by reference are not counted as free.
   */
  private static final class Discard extends OutputStream {
    private final byte[] sendBuffer = new byte[64 * 1024];
    long count;

    @Override
    public void write(int b) {
      sendBuffer[0] = (byte) b;
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
      while (len > 0) {
        int n = Math.min(len, sendBuffer.length);
        System.arraycopy(b, off, sendBuffer, 0, n);
        off += n;
        len -= n;
      }
    }
  }
}

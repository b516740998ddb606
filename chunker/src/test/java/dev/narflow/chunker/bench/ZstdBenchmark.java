package dev.narflow.chunker.bench;

import dev.narflow.chunker.codec.ZstdChunkCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The chunk codec as ingestion uses it: one zstd frame per chunk of {@code chunkSize} bytes. The
 * {@code bytes} counter is raw bytes per second. Compare with {@code zstd -b3 -B<chunkSize>} on
 * the same sample ({@code -p sample=FILE}; without one, a synthesized half-text, half-random mix).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class ZstdBenchmark {
  @Param("")
  public String sample;

  @Param("262144")
  public int chunkSize;

  @Param("3")
  public int level;

  private byte[][] chunks;
  private byte[][] frames;
  private ZstdChunkCodec codec;

  @AuxCounters(AuxCounters.Type.OPERATIONS)
  @State(Scope.Thread)
  public static class Bytes {
    public long bytes;

    @Setup(Level.Iteration)
    public void clear() {
      bytes = 0;
    }
  }

  @State(Scope.Thread)
  public static class Cursor {
    int next;
  }

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    byte[] data = sample.isEmpty() ? synthesize(64 << 20) : Files.readAllBytes(Path.of(sample));
    int n = Math.max(1, data.length / chunkSize);
    chunks = new byte[n][];
    frames = new byte[n][];
    codec = new ZstdChunkCodec(level);
    for (int i = 0; i < n; i++) {
      chunks[i] = Arrays.copyOfRange(data, i * chunkSize, Math.min(data.length, (i + 1) * chunkSize));
      frames[i] = codec.compress(chunks[i]);
    }
  }

  private static byte[] synthesize(int size) {
    byte[] b = new byte[size];
    Random r = new Random(1);
    String words = "the quick brown fox jumps over the lazy dog /nix/store/ lib bin share ";
    for (int i = 0; i < size / 2; i++) b[i] = (byte) words.charAt((i * 7 + r.nextInt(3)) % words.length());
    byte[] tail = new byte[size - size / 2];
    r.nextBytes(tail);
    System.arraycopy(tail, 0, b, size / 2, tail.length);
    return b;
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    codec.close();
  }

  @Benchmark
  public byte[] compress(Cursor cursor, Bytes bytes) {
    byte[] chunk = chunks[cursor.next++ % chunks.length];
    bytes.bytes += chunk.length;
    return codec.compress(chunk);
  }

  @Benchmark
  public byte[] decompress(Cursor cursor, Bytes bytes) throws IOException {
    int i = cursor.next++ % chunks.length;
    bytes.bytes += chunks[i].length;
    return codec.decompress(frames[i], chunks[i].length);
  }
}

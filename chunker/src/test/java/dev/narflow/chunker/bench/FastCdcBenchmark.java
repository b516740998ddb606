package dev.narflow.chunker.bench;

import dev.narflow.chunker.cdc.ChunkView;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.cdc.StreamChunker;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * FastCDC over 64 MiB of random data with the default parameters (avg 256 KiB), in memory and
 * streamed. Each op cuts the whole input, so throughput = 64 MiB / (ms per op).
 * Run: {@code ops/bench/jmh chunker FastCdc -f 1 -wi 2 -i 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(time = 3)
@Measurement(time = 3)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class FastCdcBenchmark {
  static final int SIZE = 64 << 20;

  @Param({"262144"})
  int avgSize;

  byte[] data;
  FastCdc cdc;

  @Setup
  public void setUp() {
    data = new byte[SIZE];
    new Random(42).nextBytes(data);
    cdc = FastCdc.of(FastCdc.Params.ofAverage(avgSize));
  }

  /** Cuts the array in place; returns a checksum of the cuts so nothing is optimized away. */
  @Benchmark
  public long arrayCut() {
    long sum = 0;
    int position = 0;
    while (position < data.length) {
      FastCdc.Cut cut = cdc.cut(data, position, data.length - position);
      sum += cut.hash() + cut.length();
      position += cut.length();
    }
    return sum;
  }

  /** Streams through the chunker's buffer: adds reading and compaction copies to the cut. */
  @Benchmark
  public long streaming() throws IOException {
    long sum = 0;
    StreamChunker chunker = cdc.chunker(new ByteArrayInputStream(data));
    for (ChunkView chunk; (chunk = chunker.next()) != null; ) sum += chunk.hash() + chunk.length();
    return sum;
  }
}

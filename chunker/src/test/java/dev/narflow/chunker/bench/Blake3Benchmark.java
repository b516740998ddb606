package dev.narflow.chunker.bench;

import dev.narflow.chunker.hash.Blake3;
import dev.narflow.chunker.hash.Blake3Kernels;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.digests.Blake3Digest;
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

/**
 * BLAKE3-256 of one buffer: our Vector API kernel, our scalar kernel, BouncyCastle. MB/s is
 * ops/s × size / 10^6. The JVM must run with --add-modules jdk.incubator.vector (ops/bench/jmh
 * does) or "vector" silently measures the scalar path; setup fails in that case.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class Blake3Benchmark {
  @Param({"16384", "262144", "1048576"})
  int size;

  byte[] data;
  Blake3 vector;
  Blake3 scalar;
  Blake3Digest bouncyCastle;
  final byte[] out = new byte[32];

  @Setup(Level.Trial)
  public void setUp() {
    if (!Blake3Kernels.vectorAvailable()) {
      throw new IllegalStateException("Vector API kernel not active in this JVM");
    }
    data = new byte[size];
    new Random(size).nextBytes(data);
    vector = Blake3.newHasher();
    scalar = Blake3Kernels.scalarHasher();
    bouncyCastle = new Blake3Digest(256);
  }

  @Benchmark
  public Object vector() {
    return vector.update(data).finish();
  }

  @Benchmark
  public Object scalar() {
    return scalar.update(data).finish();
  }

  /** The one-shot entry point, which also pays for a fresh hasher per call. */
  @Benchmark
  public Object vectorOneShot() {
    return Blake3.hash(data);
  }

  @Benchmark
  public byte[] bouncyCastle() {
    bouncyCastle.update(data, 0, data.length);
    bouncyCastle.doFinal(out, 0);
    return out;
  }
}

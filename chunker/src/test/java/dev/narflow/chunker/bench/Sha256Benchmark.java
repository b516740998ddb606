package dev.narflow.chunker.bench;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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

/** JDK SHA-256 (NAR hashes) on the same buffers as {@link Blake3Benchmark}; MB/s = ops/s × size / 10^6. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class Sha256Benchmark {
  @Param({"16384", "262144", "1048576"})
  int size;

  byte[] data;
  MessageDigest sha256;

  @Setup(Level.Trial)
  public void setUp() throws NoSuchAlgorithmException {
    data = new byte[size];
    new Random(size).nextBytes(data);
    sha256 = MessageDigest.getInstance("SHA-256");
  }

  @Benchmark
  public byte[] jdk() {
    sha256.update(data);
    return sha256.digest();
  }
}

package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.bench.MemoryCheck;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A synthesized, incompressible NAR of 256 MiB imports and renders (identical NarHash) in a JVM
 * whose heap is a fifth of that, and the live heap measured after GC during the import stays
 * under 40 MiB (MemoryCheck fails otherwise): memory does not grow with the NAR or its files.
 * The bound is what the import may hold by design (the blob writer's in-flight bytes, a scratch
 * buffer of 4 max chunks per thread, the read buffer) plus slack for garbage that a GC under CPU
 * contention leaves: 24 MiB was seen exceeded (32 MiB) on a loaded 2-core CI machine.
 */
class NarBoundedMemoryTest {
  @Test
  void twoHundredFiftySixMebibytesInAFortyEightMebibyteHeap() throws Exception {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    Process p = new ProcessBuilder(List.of(java, "-Xmx48m", "--add-modules", "jdk.incubator.vector",
        "-cp", System.getProperty("java.class.path"), MemoryCheck.class.getName(),
        String.valueOf(256L << 20), "2", "40"))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "finished: " + output);
    System.out.print(output);
    assertEquals(0, p.exitValue(), output);
    assertTrue(output.contains("rendered " + (256L << 20)) || output.contains("rendered 2684"), output);
    assertTrue(output.contains("live heap during the import at most "), output);
    assertTrue(output.endsWith("ok\n"), output);
  }
}

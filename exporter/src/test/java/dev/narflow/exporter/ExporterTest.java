package dev.narflow.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.narflow.chunker.blob.ChunkFetcher;
import org.junit.jupiter.api.Test;

class ExporterTest {
  private static final long MIB = 1L << 20;

  @Test
  void allRendersTogetherHoldAtMostAQuarterOfTheHeapInChunks() {
    // The launcher's default heap and the default cap on renders: 16 concurrent .nar downloads
    // with 16 MiB windows each ran it out of memory.
    ChunkFetcher.Limits limits = Exporter.fetchLimits(512 * MIB, 32, 8);
    assertEquals(128 * MIB, limits.maxBytes());
    assertEquals(8, limits.threads());
    // The heap of the serve memory test.
    assertEquals(64 * MIB, Exporter.fetchLimits(256 * MIB, 32, 8).maxBytes());
  }

  @Test
  void aLargeHeapStopsAtAWindowPerRenderAndATinyOneStillFetches() {
    assertEquals(32 * 16 * MIB, Exporter.fetchLimits(64L << 30, 32, 8).maxBytes());
    assertEquals(MIB, Exporter.fetchLimits(2 * MIB, 32, 8).maxBytes());
    assertEquals(8 * MIB, Exporter.fetchLimits(32 * MIB, 32, 8).maxBytes(), "a quarter, not a floor per render");
  }
}

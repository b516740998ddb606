package dev.narflow.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.blob.ChunkPrefetcher;
import org.junit.jupiter.api.Test;

class ExporterTest {
  private static final long MIB = 1L << 20;

  @Test
  void allRendersTogetherPrefetchAtMostAQuarterOfTheHeap() {
    // The launcher's default heap and the default cap on renders: 16 concurrent .nar downloads
    // with 16 MiB windows each ran it out of memory.
    ChunkPrefetcher.Window w = Exporter.prefetchWindow(512 * MIB, 32);
    assertEquals(4 * MIB, w.maxBytesAhead());
    assertTrue(32 * w.maxBytesAhead() <= 512 * MIB / 4);
    // Only the byte bound changes.
    assertEquals(ChunkPrefetcher.Window.DEFAULT.maxChunksAhead(), w.maxChunksAhead());
    assertEquals(ChunkPrefetcher.Window.DEFAULT.maxBlobsAhead(), w.maxBlobsAhead());
    assertEquals(ChunkPrefetcher.Window.DEFAULT.singleChunkUpTo(), w.singleChunkUpTo());
  }

  @Test
  void aLargeHeapKeepsTheDefaultWindowAndATinyOneStillFetchesAhead() {
    assertEquals(ChunkPrefetcher.Window.DEFAULT.maxBytesAhead(), Exporter.prefetchWindow(64L << 30, 32).maxBytesAhead());
    assertEquals(MIB, Exporter.prefetchWindow(32 * MIB, 32).maxBytesAhead());
  }
}

package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.testing.RealNix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many small files are fetched in parallel, across files, within the window. */
class NarPrefetchTest {
  @TempDir Path dir;

  @Test
  void smallFilesAreFetchedManyAtOnceAndNeverMoreThanTheWindow() throws Exception {
    byte[] nar = RealNix.dump(NixTrees.manySmall(dir.resolve("tree")));
    AtomicInteger fetching = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    try (CountingChunkStore store = new CountingChunkStore(
            LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve("store"), false)).build()) {
          @Override
          public byte[] getChunk(B3Digest digest, int size) throws IOException {
            mostAtOnce.accumulateAndGet(fetching.incrementAndGet(), Math::max);
            try {
              Thread.sleep(2); // a round trip
              return super.getChunk(digest, size);
            } catch (InterruptedException e) {
              throw new IOException(e);
            } finally {
              fetching.decrementAndGet();
            }
          }
        };
        NarImporter importer = NarImporter.builder(store).build();
        NarRenderer renderer = NarRenderer.builder(store).parallelism(16)
            .window(new ChunkPrefetcher.Window(8, 1 << 20, 64, 128 * 1024)).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      long started = System.nanoTime();
      assertArrayEquals(nar, NarRoundTrip.render(renderer, result));
      long millis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(store.chunkGets.size() >= 290, store.chunkGets.size() + " chunks");
      assertTrue(mostAtOnce.get() > 4, "fetched " + mostAtOnce.get() + " at once");
      assertTrue(mostAtOnce.get() <= 8 + 1, "never more than the window and the chunk being read: " + mostAtOnce.get());
      // One at a time would take ≥ 300 × 2 ms.
      assertTrue(millis < 450, "rendered 300 files of 2 ms round trips in " + millis + " ms");
    }
  }
}

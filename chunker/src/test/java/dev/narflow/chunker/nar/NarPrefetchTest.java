package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many small files are fetched in parallel, across files, within the window. Shown without any
 * clock: the first fetches are held until several are waiting at once, which can only happen if
 * the renderer issues fetches ahead of the file it is writing.
 */
class NarPrefetchTest {
  /** Fetches that must be waiting at the same time before any is let through. */
  private static final int HELD_UNTIL = 5;

  @TempDir Path dir;

  @Test
  void smallFilesAreFetchedManyAtOnceAndNeverMoreThanTheWindow() throws Exception {
    byte[] nar = RealNix.dump(NixTrees.manySmall(dir.resolve("tree")));
    AtomicInteger fetching = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    CountDownLatch enoughAtOnce = new CountDownLatch(1);
    try (CountingChunkStore store = new CountingChunkStore(
            LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve("store"), false)).build()) {
          @Override
          public byte[] getChunk(B3Digest digest, int size) throws IOException {
            int now = fetching.incrementAndGet();
            mostAtOnce.accumulateAndGet(now, Math::max);
            try {
              if (now >= HELD_UNTIL) enoughAtOnce.countDown();
              // A deadline only against a hang: a renderer that fetches one at a time never gets
              // here a fifth time, and the test fails below on the latch, not on a duration.
              if (!enoughAtOnce.await(60, TimeUnit.SECONDS)) {
                throw new IOException("never " + HELD_UNTIL + " fetches at once");
              }
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
      assertArrayEquals(nar, NarRoundTrip.render(renderer, result));
      assertEquals(0, enoughAtOnce.getCount(), HELD_UNTIL + " fetches were waiting at once");
      assertTrue(store.chunkGets.size() >= 290, store.chunkGets.size() + " chunks");
      assertTrue(mostAtOnce.get() <= 8 + 1, "never more than the window and the chunk being read: " + mostAtOnce.get());
    }
  }
}

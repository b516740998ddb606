package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing a renderer while renders share its fetch threads. A decorator around the real store
 * holds one file's fetch (a real store cannot be made to stall on cue).
 */
class NarRendererCloseTest {
  @TempDir Path dir;

  @Test
  void closeNeverStrandsARenderWaitingForAQueuedFetch() throws Exception {
    CountDownLatch fetchingA = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<B3Digest> heldDigest = new AtomicReference<>();
    CountingChunkStore store = new CountingChunkStore(
        LayoutChunkStore.builder(LocalDirectoryBackend.open(dir, false)).build()) {
      @Override
      public byte[] getChunk(B3Digest digest, int size) throws IOException {
        if (digest.equals(heldDigest.get())) {
          fetchingA.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new InterruptedIOException("interrupted fetching " + digest.hex());
          }
        }
        return super.getChunk(digest, size);
      }
    };
    byte[] narA = SyntheticNar.singleFile(1000, 1).readAllBytes();
    byte[] narB = SyntheticNar.singleFile(1000, 2).readAllBytes();
    ImportResult a;
    ImportResult b;
    try (NarImporter importer = NarImporter.builder(store).build()) {
      a = importer.importNar(new java.io.ByteArrayInputStream(narA));
      b = importer.importNar(new java.io.ByteArrayInputStream(narB));
    }
    heldDigest.set(B3Digest.of(a.root().getFile().getDigest()));
    NarRenderer renderer = NarRenderer.builder(store).parallelism(1).build();
    Thread renderA = new Thread(() -> {
      try {
        NarRoundTrip.render(renderer, a);
      } catch (IOException | RuntimeException e) {
        // either outcome is fine for the render whose fetch close() may interrupt
      }
    });
    renderA.start();
    fetchingA.await();
    AtomicReference<Object> outcomeB = new AtomicReference<>();
    Thread renderB = new Thread(() -> {
      try {
        outcomeB.set(NarRoundTrip.render(renderer, b));
      } catch (IOException | RuntimeException e) {
        outcomeB.set(e);
      }
    });
    renderB.start();
    while (renderB.getState() != Thread.State.WAITING) { // its fetch is queued behind A's
      assertTrue(renderB.isAlive(), "B finished while the only fetch thread was held");
      Thread.sleep(1);
    }
    renderer.close();
    release.countDown();
    renderB.join(10_000);
    renderA.join(10_000);
    assertFalse(renderB.isAlive(), "a render waiting for a fetch when the renderer closed must not wait forever");
    if (outcomeB.get() instanceof byte[] bytes) assertArrayEquals(narB, bytes);
    store.close();
  }
}

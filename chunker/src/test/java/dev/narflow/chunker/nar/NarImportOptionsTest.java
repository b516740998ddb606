package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.PutChunkResult;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.topics.nix.HashAlgorithm;
import dev.narflow.topics.nix.NixHash;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expected NarSize/NarHash, progress and cancellation of {@link NarImporter#importNar(InputStream, ImportOptions)}. */
class NarImportOptionsTest {
  private static final long MIB = 1 << 20;

  @TempDir Path dir;
  private WritesInFlight store;
  private NarImporter importer;

  /** Counts chunk writes that have started and not yet returned. */
  static final class WritesInFlight extends CountingChunkStore {
    final AtomicInteger running = new AtomicInteger();

    WritesInFlight(ChunkStore delegate) {
      super(delegate);
    }

    @Override
    public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
      running.incrementAndGet();
      try {
        return super.putChunk(data, off, len);
      } finally {
        running.decrementAndGet();
      }
    }
  }

  /** Counts what the importer takes from its source. */
  static final class CountingInput extends FilterInputStream {
    long read;

    CountingInput(InputStream in) {
      super(in);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) read += n;
      return n;
    }
  }

  @BeforeEach
  void open() throws IOException {
    store = new WritesInFlight(
        LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve("store"), false)).build());
    importer = NarImporter.builder(store).parallelism(4).build();
  }

  @AfterEach
  void close() throws IOException {
    importer.close();
    store.close();
  }

  /** Four files of 4 MiB, 16 MiB in all. */
  static SyntheticNar nar() {
    return SyntheticNar.directory(List.of(new SyntheticNar.File("a", 4 * MIB, 1, false),
        new SyntheticNar.File("b", 4 * MIB, 2, false), new SyntheticNar.File("c", 4 * MIB, 3, true),
        new SyntheticNar.File("d", 4 * MIB, 4, false)));
  }

  private ImportResult reference() throws IOException {
    try (ChunkStore plain = ChunkStore.localDirectory(dir.resolve("reference"));
        NarImporter once = NarImporter.builder(plain).build()) {
      return once.importNar(nar());
    }
  }

  @Test
  void matchingExpectationsImportAsWithout() throws IOException {
    ImportResult expected = reference();
    ImportResult result = importer.importNar(nar(), ImportOptions.none()
        .withExpectedNarSize(expected.narSize())
        .withExpectedNarHash(NixHash.of(HashAlgorithm.SHA256, expected.narSha256())));
    assertEquals(expected.root(), result.root());
    assertEquals(nar().size(), result.narSize());
  }

  @Test
  void aLongerNarStopsOneBytePastItsNarSize() throws IOException {
    CountingInput source = new CountingInput(nar());
    long expected = 3 * MIB;
    NarSizeMismatchException e = assertThrows(NarSizeMismatchException.class,
        () -> importer.importNar(source, ImportOptions.none().withExpectedNarSize(expected)));
    assertTrue(e.longer());
    assertEquals(expected, e.expected());
    assertEquals(expected + 1, source.read, "reading stops at NarSize + 1 bytes");
    assertEquals("NAR is longer than its NarSize 3145728 (read 3145729 bytes, stopped there)", e.getMessage());
    assertEquals(0, store.running.get(), "no chunk write outlives the failure");
  }

  @Test
  void aShorterNarFailsAtItsEnd() {
    long actual = nar().size();
    NarSizeMismatchException e = assertThrows(NarSizeMismatchException.class,
        () -> importer.importNar(nar(), ImportOptions.none().withExpectedNarSize(actual + 10)));
    assertFalse(e.longer());
    assertEquals(actual, e.actual());
    assertEquals("NAR has " + actual + " bytes, its NarSize is " + (actual + 10), e.getMessage());
    assertEquals(0, store.running.get());
  }

  @Test
  void aWrongHashNamesBothHashes() throws IOException {
    NixHash actual = NixHash.of(HashAlgorithm.SHA256, reference().narSha256());
    NixHash wrong = NixHash.compute(HashAlgorithm.SHA256, "another NAR".getBytes());
    NarHashMismatchException e = assertThrows(NarHashMismatchException.class,
        () -> importer.importNar(nar(), ImportOptions.none().withExpectedNarHash(wrong)));
    assertEquals(wrong, e.expected());
    assertEquals(actual, e.actual());
    assertEquals("NAR hashes to " + actual + ", its NarHash is " + wrong, e.getMessage());
    assertTrue(e.getMessage().startsWith("NAR hashes to sha256:"), e.getMessage());
    assertEquals(0, store.running.get());
  }

  @Test
  void progressIsReportedEveryIntervalAndAtTheEnd() throws IOException {
    List<Long> reports = new CopyOnWriteArrayList<>();
    long interval = MIB;
    ImportResult result = importer.importNar(nar(), ImportOptions.none().withProgress(interval, reports::add));
    assertEquals(result.narSize(), reports.get(reports.size() - 1), "the last report is the total");
    assertTrue(reports.size() >= 4 && reports.size() <= result.narSize() / interval + 1, reports.toString());
    assertTrue(reports.get(0) >= interval, reports.toString());
    for (int i = 0; i + 2 < reports.size(); i++) {
      assertTrue(reports.get(i + 1) - reports.get(i) >= interval, "never more often than the interval: " + reports);
    }
  }

  @Test
  void cancellationStopsReadingAndLeavesNoWriteRunning() throws IOException {
    List<Long> reports = new CopyOnWriteArrayList<>();
    CountingInput source = new CountingInput(nar());
    ImportCancelledException e = assertThrows(ImportCancelledException.class,
        () -> importer.importNar(source, ImportOptions.none()
            .withProgress(MIB, reports::add)
            .withCancellation(() -> !reports.isEmpty() && reports.get(reports.size() - 1) >= 5 * MIB)));
    assertTrue(e.getMessage().startsWith("NAR import cancelled after "), e.getMessage());
    assertTrue(source.read < 6 * MIB + 256 * 1024, "stopped soon after the 5 MiB mark: " + source.read);
    assertEquals(0, store.running.get(), "no chunk write outlives the cancellation");
    int puts = store.puts.get();
    importer.close(); // waits for anything still queued on the writer threads: there is nothing
    assertEquals(puts, store.puts.get(), "no chunk write was still queued");
  }

  @Test
  void anInterruptStopsTheImportAndStaysSet() throws IOException {
    AtomicInteger checks = new AtomicInteger();
    try {
      // Caught by the importer's own check or while waiting for a chunk writer, whichever is first.
      InterruptedIOException e = assertThrows(InterruptedIOException.class,
          () -> importer.importNar(nar(), ImportOptions.none().withCancellation(() -> {
            if (checks.incrementAndGet() == 20) Thread.currentThread().interrupt();
            return false;
          })));
      assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
      assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set for the caller");
    } finally {
      Thread.interrupted();
    }
    assertEquals(0, store.running.get());
  }

  @Test
  void theOneArgumentImportIsUnchanged() throws IOException {
    byte[] bytes = nar().readAllBytes();
    assertEquals(reference().root(), importer.importNar(new ByteArrayInputStream(bytes)).root());
  }
}

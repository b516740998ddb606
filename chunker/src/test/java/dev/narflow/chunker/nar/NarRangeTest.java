package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import dev.narflow.chunker.blob.BlobChunk;
import dev.narflow.chunker.blob.ChunkLists;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.hash.Blake3;
import dev.narflow.chunker.store.ChunkNotFoundException;
import dev.narflow.chunker.store.CorruptChunkException;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.store.StoreLayout;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.nar.NarReader;
import dev.narflow.topics.testing.Fixtures;
import dev.narflow.topics.testing.RealNix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rendering from an offset (and for a length): the right bytes, and no chunk outside the range fetched. */
class NarRangeTest {
  @TempDir Path dir;

  /** A chunk where the NAR has it. */
  private record Placed(long start, long end, B3Digest digest) {}

  private CountingChunkStore store(String name) throws IOException {
    return new CountingChunkStore(
        LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve(name), false)).build());
  }

  /** Every chunk of every file at its NAR position, found by parsing the NAR. */
  private static List<Placed> placeChunks(byte[] nar, CountingChunkStore store) throws IOException {
    List<Placed> placed = new ArrayList<>();
    NarReader reader = new NarReader(new ByteArrayInputStream(nar));
    for (NarReader.Event e; (e = reader.next()) != NarReader.Event.END; ) {
      if (e != NarReader.Event.FILE) continue;
      long start = reader.offset();
      byte[] contents = reader.contents().readAllBytes();
      for (BlobChunk c : ChunkLists.resolve(store, Blake3.hash(contents), contents.length)) {
        placed.add(new Placed(start + c.offset(), start + c.end(), c.digest()));
      }
    }
    store.reset();
    return placed;
  }

  private static void checkRange(NarRenderer renderer, CountingChunkStore store, ImportResult result,
      byte[] nar, List<Placed> chunks, long offset, long length) throws IOException {
    checkRange(renderer, store, null, result, nar, chunks, offset, length);
  }

  /** As above; from {@code layout} when given. */
  private static void checkRange(NarRenderer renderer, CountingChunkStore store, NarLayout layout, ImportResult result,
      byte[] nar, List<Placed> chunks, long offset, long length) throws IOException {
    store.reset();
    byte[] got;
    if (layout == null) {
      got = NarRoundTrip.render(renderer, result, offset, length);
    } else {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      renderer.render(layout, offset, length, out);
      got = out.toByteArray();
    }
    long end = Math.min(nar.length, length > nar.length ? nar.length : offset + length);
    assertArrayEquals(Arrays.copyOfRange(nar, (int) offset, (int) end), got, "range " + offset + "+" + length);
    Set<B3Digest> needed = new HashSet<>();
    for (Placed p : chunks) if (p.end() > offset && p.start() < end && offset < end) needed.add(p.digest());
    assertEquals(needed, new HashSet<>(store.chunkGets),
        "exactly the chunks overlapping [" + offset + ", " + end + ") are fetched");
  }

  @Test
  void everyOffsetOfSmallNars() throws Exception {
    Map<String, byte[]> small = new HashMap<>();
    small.put("complicated", Fixtures.bytes("nar/valid/complicated.nar"));
    small.put("small-tree", RealNix.dump(NixTrees.small(dir.resolve("tree"))));
    FastCdc.Params params = NarRoundTripTest.SMALL;
    Random random = new Random(0x72616e6765L);
    for (Map.Entry<String, byte[]> e : small.entrySet()) {
      byte[] nar = e.getValue();
      try (CountingChunkStore store = store(e.getKey());
          NarImporter importer = NarImporter.builder(store).params(params).build();
          NarRenderer renderer = NarRenderer.builder(store).parallelism(2)
              .window(NarRoundTripTest.window(params)).build()) {
        ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
        if (e.getKey().equals("small-tree")) assertTrue(!result.blobIndexes().isEmpty(), "has multi-chunk files");
        List<Placed> chunks = placeChunks(nar, store);
        for (long offset = 0; offset <= nar.length; offset++) {
          checkRange(renderer, store, result, nar, chunks, offset, Long.MAX_VALUE);
          checkRange(renderer, store, result, nar, chunks, offset, random.nextInt(600));
        }
        // From the tree's layout, with chunk lists from the index rather than the store: the same
        // bytes and chunks, and no blob-index read at all.
        NarLayout layout = NarLayout.of(result.root(), DirectoryLookup.of(result.directories()), Long.MAX_VALUE)
            .orElseThrow();
        assertEquals(nar.length, layout.narSize());
        try (NarRenderer indexed = NarRenderer.builder(store).parallelism(2).window(NarRoundTripTest.window(params))
            .blobIndexes(dev.narflow.chunker.blob.BlobIndexLookup.of(result.blobIndexes())).build()) {
          for (long offset = 0; offset <= nar.length; offset++) {
            checkRange(indexed, store, layout, result, nar, chunks, offset, Long.MAX_VALUE);
            checkRange(indexed, store, layout, result, nar, chunks, offset, random.nextInt(600));
            assertEquals(List.of(), store.indexGets, "no blob index read from the store");
          }
        }
        assertTrue(NarLayout.of(result.root(), DirectoryLookup.of(result.directories()), 100).isEmpty(),
            "a layout over its bound is not made");
      }
    }
  }

  @Test
  void randomRangesOfALargeNar() throws Exception {
    byte[] nar = RealNix.dump(NixTrees.tree(dir.resolve("tree")));
    long seed = 0x6c61726765L;
    Random random = new Random(seed);
    for (FastCdc.Params params : new FastCdc.Params[] {FastCdc.Params.DEFAULT, FastCdc.Params.ofAverage(16 * 1024)}) {
      try (CountingChunkStore store = store("large" + params.avgSize());
          NarImporter importer = NarImporter.builder(store).params(params).parallelism(2).build();
          NarRenderer renderer = NarRenderer.builder(store).window(NarRoundTripTest.window(params)).build()) {
        ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
        List<Placed> chunks = placeChunks(nar, store);
        for (int i = 0; i < 25; i++) {
          long offset = random.nextInt(nar.length + 1);
          long length = random.nextBoolean() ? Long.MAX_VALUE : random.nextInt(1 << 20);
          try {
            checkRange(renderer, store, result, nar, chunks, offset, length);
          } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ", case " + i, t);
          }
        }
      }
    }
  }

  @Test
  void corruptMissingAndAbsentPartsAreNamed() throws Exception {
    byte[] nar = RealNix.dump(NixTrees.tree(dir.resolve("tree")));
    Path storeDir = dir.resolve("store");
    try (CountingChunkStore store = new CountingChunkStore(
            LayoutChunkStore.builder(LocalDirectoryBackend.open(storeDir, false)).build());
        NarImporter importer = NarImporter.builder(store).build();
        NarRenderer renderer = NarRenderer.builder(store).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      B3Digest[] lib = result.blobIndexes().values().stream()
          .max(java.util.Comparator.comparingInt(index -> index.getChunksCount())).orElseThrow() // lib.bin
          .getChunksList().stream().map(c -> B3Digest.of(c.getDigest())).toArray(B3Digest[]::new);

      // A chunk whose object holds other bytes of the same size: a valid zstd frame, wrong content.
      B3Digest corrupt = lib[1];
      Path object = storeDir.resolve(StoreLayout.chunkKey(corrupt));
      byte[] original = Files.readAllBytes(object);
      int size = (int) Zstd.getFrameContentSize(original);
      Files.delete(object);
      Files.write(object, Zstd.compress(new byte[size]));
      CorruptChunkException bad = assertThrows(CorruptChunkException.class, () -> NarRoundTrip.render(renderer, result));
      assertTrue(bad.getMessage().contains(corrupt.hex()), bad.getMessage());

      Files.delete(object);
      Files.write(object, original);

      B3Digest missing = lib[2];
      Files.delete(storeDir.resolve(StoreLayout.chunkKey(missing)));
      ChunkNotFoundException gone = assertThrows(ChunkNotFoundException.class,
          () -> NarRoundTrip.render(renderer, result, nar.length / 2, Long.MAX_VALUE));
      assertTrue(gone.getMessage().contains(missing.hex()), gone.getMessage());

      // A range after the damage renders fine: nothing before it is fetched.
      long libEnd = placeChunks(nar, store).stream().filter(p -> p.digest().equals(missing))
          .mapToLong(Placed::end).max().orElseThrow();
      assertArrayEquals(Arrays.copyOfRange(nar, (int) libEnd, nar.length),
          NarRoundTrip.render(renderer, result, libEnd, Long.MAX_VALUE));

      // A Directory the lookup does not have.
      Directory absent = result.directories().get(0);
      List<Directory> others = new ArrayList<>(result.directories());
      others.remove(absent);
      MissingDirectoryException lost = assertThrows(MissingDirectoryException.class, () -> renderer.render(
          result.root(), DirectoryLookup.of(others), java.io.OutputStream.nullOutputStream()));
      assertTrue(lost.getMessage().contains(Directories.digest(absent).hex()), lost.getMessage());
      assertThrows(MissingDirectoryException.class,
          () -> NarRenderer.narSize(result.root(), DirectoryLookup.of(others)));
    }
  }
}

package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;

import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.StatBlobResponse;
import dev.narflow.topics.nix.Nixbase32;
import dev.narflow.topics.testing.RealNix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NARs written by real Nix: import → render gives the same bytes, at any parameters. */
class NarRoundTripTest {
  /** Small chunks, so that most files have several: 256 B .. 1 KiB .. 4 KiB. */
  static final FastCdc.Params SMALL = FastCdc.Params.of(256, 1024, 4096);
  @TempDir static Path trees;
  private static Map<String, byte[]> nars;
  @TempDir Path dir;

  @BeforeAll
  static void dump() throws IOException {
    nars = NixTrees.dumps(trees);
  }

  private ChunkStore store(String name) throws IOException {
    return LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve(name), false)).build();
  }

  @Test
  void nixDumpsRoundTripAtDefaultAndSmallChunksAndParallelismOneAndTwo() throws Exception {
    for (Map.Entry<String, byte[]> nar : nars.entrySet()) {
      for (FastCdc.Params params : new FastCdc.Params[] {FastCdc.Params.DEFAULT, SMALL}) {
        ImportResult first = null;
        for (int parallelism : new int[] {1, 2}) {
          String what = nar.getKey() + " at avg " + params.avgSize() + ", parallelism " + parallelism;
          try (ChunkStore store = store(nar.getKey() + params.avgSize() + "-" + parallelism);
              NarImporter importer = NarImporter.builder(store).params(params).parallelism(parallelism).build();
              NarRenderer renderer = NarRenderer.builder(store).window(window(params)).build()) {
            ImportResult result = importer.importNar(new ByteArrayInputStream(nar.getValue()));
            if (first == null) first = result;
            assertEquals(first, result, what);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(nar.getValue()), result.narSha256(), what);
            assertEquals(nar.getValue().length, result.narSize(), what);
            assertEquals(nar.getValue().length, NarRenderer.narSize(result.root(), DirectoryLookup.of(result.directories())));
            assertArrayEquals(nar.getValue(), NarRoundTrip.render(renderer, result), what);
            checkStructure(store, result, what);
            // Imported again: everything is known, nothing is written.
            ImportResult again = importer.importNar(new ByteArrayInputStream(nar.getValue()));
            assertEquals(result.root(), again.root());
            assertEquals(0, again.stats().newChunks(), what);
            assertEquals(0, again.stats().storedBytes(), what);
            assertEquals(0, again.stats().newChunkBytes(), what);
          }
        }
      }
    }
  }

  /** Directories once each, children first; blob indexes stored for exactly the multi-chunk blobs. */
  private static void checkStructure(ChunkStore store, ImportResult result, String what) throws IOException {
    Set<B3Digest> seen = new HashSet<>();
    for (Directory d : result.directories()) {
      for (var child : d.getDirectoriesList()) {
        assertTrue(seen.contains(B3Digest.of(child.getDigest())), "child before parent in " + what);
      }
      assertTrue(seen.add(Directories.digest(d)), "each directory once in " + what);
    }
    if (result.root().hasDirectory()) {
      assertEquals(B3Digest.of(result.root().getDirectory().getDigest()),
          Directories.digest(result.directories().get(result.directories().size() - 1)), "root last");
    }
    for (Map.Entry<B3Digest, StatBlobResponse> index : result.blobIndexes().entrySet()) {
      assertTrue(index.getValue().getChunksCount() > 1, what);
      assertArrayEquals(index.getValue().toByteArray(), store.getBlobIndex(index.getKey()).orElseThrow(), what);
    }
    ImportStats s = result.stats();
    assertEquals(s.uniqueChunks(), s.newChunks(), "a fresh store gets every distinct chunk: " + what);
    assertEquals(s.uniqueChunkBytes(), s.newChunkBytes(), "and uploads each once: " + what);
    assertTrue(s.storedBytes() >= s.uniqueChunkBytes() || s.uniqueChunkBytes() < 1000,
        "random data does not compress: " + s);
  }

  @Test
  void theTreeMatchesNixHashPathAndSharesWhatIsDuplicated() throws Exception {
    byte[] nar = nars.get("tree");
    try (ChunkStore store = store("t"); NarImporter importer = NarImporter.builder(store).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      assertEquals(RealNix.hashPath(trees.resolve("tree")), "sha256:" + Nixbase32.encode(result.narSha256()));
      Directory root = result.directories().get(result.directories().size() - 1);
      ByteString dup1 = null, dup2 = null;
      for (var d : root.getDirectoriesList()) {
        if (d.getName().toStringUtf8().equals("dup1")) dup1 = d.getDigest();
        if (d.getName().toStringUtf8().equals("dup2")) dup2 = d.getDigest();
      }
      assertEquals(dup1, dup2, "identical subdirectories have one digest");
      // root, bin, dup (+ its sub), share, share/empty, 日本語: the duplicate adds no record.
      assertEquals(7, result.directories().size());
      ImportStats s = result.stats();
      assertEquals(9, s.directories(), "the NAR has 9 directories, shared or not");
      assertTrue(s.uniqueChunks() < s.chunks(), "the copy of lib.bin shares its chunks: " + s);
      assertEquals(2, result.blobIndexes().size(), "lib.bin and medium (once each): " + result.blobIndexes().keySet());
      long libChunks = result.blobIndexes().values().stream().mapToLong(StatBlobResponse::getChunksCount).max().orElseThrow();
      assertTrue(libChunks >= 6, "3 MiB at 256 KiB average: " + libChunks + " chunks");
    }
  }

  static ChunkPrefetcher.Window window(FastCdc.Params params) {
    return new ChunkPrefetcher.Window(16, 4 << 20, 64, params.minSize());
  }
}

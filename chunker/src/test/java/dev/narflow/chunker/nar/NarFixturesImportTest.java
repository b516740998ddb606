package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.CastoreFixtures;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.nar.NarFormatException;
import dev.narflow.topics.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The conformance fixtures: castore digests of VECTORS.md, and byte-exact round trips. */
class NarFixturesImportTest {
  @TempDir Path dir;

  private ChunkStore store(String name) throws IOException {
    return LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve(name), false)).build();
  }

  @Test
  void complicatedImportsToDirectoryComplicated() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/complicated.nar");
    try (CountingChunkStore store = new CountingChunkStore(store("c"));
        NarImporter importer = NarImporter.builder(store).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      DirectoryNode root = result.root().getDirectory();
      assertEquals(ByteString.EMPTY, root.getName());
      assertEquals("424a7f6ce08d805d15b428062faae96299a1675d708c3a39261afe38cdd04feb",
          B3Digest.of(root.getDigest()).hex());
      assertEquals(8, root.getSize());
      assertEquals(List.of(CastoreFixtures.directoryWithKeep(), CastoreFixtures.directoryComplicated()),
          result.directories(), "children first, root last");
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(nar), result.narSha256());
      assertEquals(nar.length, result.narSize());
      assertEquals(new ImportStats(2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0), result.stats());
      assertTrue(result.blobIndexes().isEmpty());
      assertEquals(1, store.flushes.get(), "the import ends with a durability point");
    }
  }

  @Test
  void helloWorldImportsToAFileNode() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/helloworld.nar");
    try (ChunkStore store = store("h"); NarImporter importer = NarImporter.builder(store).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      FileNode file = result.root().getFile();
      assertEquals(FileNode.newBuilder()
          .setDigest(B3Digest.fromHex("5ca7815adcb484e9a136c11efe69c1d530176d549b5d18d038eb5280b4b3470c").toByteString())
          .setSize(12).build(), file);
      assertTrue(result.directories().isEmpty());
      assertEquals(new ImportStats(1, 0, 0, 1, 1, 1, 1, 12, 12, store.statChunk(B3Digest.of(file.getDigest()))
          .orElseThrow().size(), 12), result.stats());
      assertArrayEquals("Hello World!".getBytes(), store.getChunk(B3Digest.of(file.getDigest()), 12));
    }
  }

  @Test
  void everyValidFixtureRoundTripsAtParallelismOneAndTwo() throws Exception {
    try (Stream<Path> files = Files.list(Fixtures.path("nar/valid"))) {
      for (Path fixture : files.sorted().toList()) {
        byte[] nar = Files.readAllBytes(fixture);
        ImportResult first = null;
        for (int parallelism : new int[] {1, 2}) {
          try (ChunkStore store = store(fixture.getFileName() + "-" + parallelism);
              NarImporter importer = NarImporter.builder(store).parallelism(parallelism).build();
              NarRenderer renderer = NarRenderer.builder(store).build()) {
            ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
            if (first == null) first = result;
            assertEquals(first, result, fixture + " at parallelism " + parallelism);
            DirectoryLookup lookup = DirectoryLookup.of(result.directories());
            assertEquals(nar.length, NarRenderer.narSize(result.root(), lookup), fixture.toString());
            assertArrayEquals(nar, NarRoundTrip.render(renderer, result), fixture.toString());
          }
        }
      }
    }
  }

  @Test
  void invalidFixturesFailWithTheReadersException() throws Exception {
    try (Stream<Path> files = Files.list(Fixtures.path("nar/invalid"));
        ChunkStore store = store("i");
        NarImporter importer = NarImporter.builder(store).parallelism(2).build()) {
      for (Path fixture : files.sorted().toList()) {
        byte[] nar = Files.readAllBytes(fixture);
        NarFormatException e = assertThrows(NarFormatException.class,
            () -> importer.importNar(new ByteArrayInputStream(nar)), fixture.toString());
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
      }
    }
  }

  @Test
  void aTruncatedNarFailsAfterItsChunkWritesSettle() throws Exception {
    try (CountingChunkStore store = new CountingChunkStore(store("t"));
        NarImporter importer = NarImporter.builder(store).parallelism(2).build()) {
      SyntheticNar nar = SyntheticNar.singleFile(6 << 20, 9);
      java.io.InputStream truncated = new java.io.FilterInputStream(nar) {
        long left = 5 << 20;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (left == 0) return -1;
          int n = super.read(b, off, (int) Math.min(len, left));
          if (n > 0) left -= n;
          return n;
        }
      };
      NarFormatException e = assertThrows(NarFormatException.class, () -> importer.importNar(truncated));
      assertTrue(e.getMessage().contains("truncated"), e.getMessage());
      int puts = store.puts.get();
      assertTrue(puts > 5, "chunks were being stored: " + puts);
      Thread.sleep(100);
      assertEquals(puts, store.puts.get(), "no chunk is stored after the import failed");
      assertEquals(0, store.flushes.get(), "a failed import claims no durability");
    }
  }

  @Test
  void aPathInfoNamedRootRendersTheSame() throws Exception {
    byte[] nar = Fixtures.bytes("nar/valid/complicated.nar");
    try (ChunkStore store = store("n"); NarImporter importer = NarImporter.builder(store).build();
        NarRenderer renderer = NarRenderer.builder(store).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      Node named = Node.newBuilder().setDirectory(result.root().getDirectory().toBuilder()
          .setName(ByteString.copyFromUtf8("abc-hello"))).build();
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      renderer.render(named, DirectoryLookup.of(result.directories()), out);
      assertArrayEquals(nar, out.toByteArray());
      assertEquals(Directories.digest(CastoreFixtures.directoryComplicated()),
          B3Digest.of(named.getDirectory().getDigest()));
    }
  }
}

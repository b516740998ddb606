package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.narflow.chunker.blob.ChunkPrefetcher;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import dev.narflow.chunker.testing.CountingChunkStore;
import dev.narflow.chunker.testing.SyntheticNar;
import dev.narflow.topics.castore.B3Digest;
import dev.narflow.topics.castore.Directories;
import dev.narflow.topics.castore.DirectoryBuilder;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.castore.v1.DirectoryNode;
import dev.narflow.topics.castore.v1.FileNode;
import dev.narflow.topics.castore.v1.Node;
import dev.narflow.topics.castore.v1.SymlinkNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a render can fail is an IOException that names what failed, never an unchecked
 * exception for the server to trip over: a renderer closed under a running render, and index data
 * that cannot be a NAR (a file size of 2^63 or more, a root with no node, a bad digest, a Directory
 * missing or not matching its digest).
 */
class NarRenderErrorsTest {
  @TempDir Path dir;

  private CountingChunkStore store(String name) throws IOException {
    return new CountingChunkStore(LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve(name), false)).build());
  }

  /** Asserts that {@code render} fails with an IOException of {@code type} whose message has {@code naming}. */
  private static <T extends IOException> T fails(Class<T> type, String naming, Executable render) {
    Throwable thrown = assertThrows(Throwable.class, render);
    assertTrue(type.isInstance(thrown), "expected " + type.getSimpleName() + ", got " + thrown);
    assertTrue(thrown.getMessage().contains(naming), thrown.getMessage());
    return type.cast(thrown);
  }

  @Test
  void aRenderStillRunningWhenTheRendererClosesFailsWithAnIOException() throws Exception {
    CountDownLatch fetching = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<B3Digest> held = new AtomicReference<>();
    CountingChunkStore store = new CountingChunkStore(
        LayoutChunkStore.builder(LocalDirectoryBackend.open(dir.resolve("closing"), false)).build()) {
      @Override
      public byte[] getChunk(B3Digest digest, int size) throws IOException {
        if (digest.equals(held.get())) {
          fetching.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            throw new InterruptedIOException();
          }
        }
        return super.getChunk(digest, size);
      }
    };
    List<SyntheticNar.File> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) files.add(new SyntheticNar.File("f" + i, 1000, i + 1, false));
    byte[] nar = SyntheticNar.directory(files).readAllBytes();
    ImportResult result;
    try (NarImporter importer = NarImporter.builder(store).build()) {
      result = importer.importNar(new ByteArrayInputStream(nar));
    }
    // The first file's fetch is held; with one chunk ahead, the next fetches are asked for after close.
    Directory root = result.directories().get(result.directories().size() - 1);
    held.set(B3Digest.of(root.getFiles(0).getDigest()));
    NarRenderer renderer = NarRenderer.builder(store).parallelism(1)
        .window(new ChunkPrefetcher.Window(1, 1, 1, 128 * 1024)).build();
    AtomicReference<Throwable> outcome = new AtomicReference<>();
    Thread render = new Thread(() -> {
      try {
        NarRoundTrip.render(renderer, result);
        outcome.set(new AssertionError("rendered in full after close"));
      } catch (Throwable t) {
        outcome.set(t);
      }
    });
    render.start();
    fetching.await();
    renderer.close();
    release.countDown();
    render.join(10_000);
    assertTrue(outcome.get() instanceof IOException, "expected an IOException, got " + outcome.get());
    assertTrue(outcome.get().getMessage().contains("closed"), outcome.get().getMessage());

    // And one started after close fails the same way, at its first fetch.
    IOException after = assertThrows(IOException.class, () -> NarRoundTrip.render(renderer, result));
    assertTrue(after.getMessage().contains("closed"), after.getMessage());
    store.close();
  }

  @Test
  void fileSizesOf2To63AndMoreAreInvalidTrees() throws Exception {
    try (CountingChunkStore store = store("sizes"); NarRenderer renderer = NarRenderer.builder(store).build()) {
      B3Digest someBlob = B3Digest.wrap(new byte[32]);
      // A valid Directory as far as castore goes (sizes are uint64), but no NAR has such a file.
      Directory huge = new DirectoryBuilder()
          .addFile(ByteString.copyFromUtf8("a"), someBlob, 3, false)
          .addFile(ByteString.copyFromUtf8("huge"), someBlob, Long.MIN_VALUE, false).build();
      Directories.validate(huge);
      Node rootDir = Node.newBuilder().setDirectory(Directories.directoryNode(ByteString.copyFromUtf8("root"), huge)).build();
      DirectoryLookup lookup = DirectoryLookup.of(List.of(huge));
      Node rootFile = Node.newBuilder().setFile(FileNode.newBuilder().setDigest(someBlob.toByteString())
          .setSize(-1)).build();
      for (Node root : List.of(rootDir, rootFile)) {
        String path = root == rootDir ? "/huge" : "/";
        fails(InvalidTreeException.class, path, () -> renderer.render(root, lookup, OutputStream.nullOutputStream()));
        fails(InvalidTreeException.class, path, () -> renderer.render(root, lookup, 100, Long.MAX_VALUE, OutputStream.nullOutputStream()));
        fails(InvalidTreeException.class, path, () -> renderer.renderZstd(root, lookup, OutputStream.nullOutputStream()));
        fails(InvalidTreeException.class, "2^63", () -> NarRenderer.narSize(root, lookup));
        fails(InvalidTreeException.class, path, () -> NarLayout.of(root, lookup, Long.MAX_VALUE));
      }
      assertEquals(0, store.chunkGets.size(), "nothing fetched for a tree that cannot be rendered");
    }
  }

  @Test
  void rootsWithoutANodeOrWithBadDigestsOrTargetsAreInvalidTrees() throws Exception {
    try (CountingChunkStore store = store("roots"); NarRenderer renderer = NarRenderer.builder(store).build()) {
      DirectoryLookup none = DirectoryLookup.of(Map.of());
      Node empty = Node.getDefaultInstance();
      Node shortDigest = Node.newBuilder().setDirectory(DirectoryNode.newBuilder()
          .setDigest(ByteString.copyFrom(new byte[31])).setSize(0)).build();
      Node shortFileDigest = Node.newBuilder().setFile(FileNode.newBuilder()
          .setDigest(ByteString.copyFrom(new byte[5])).setSize(10)).build();
      Node noTarget = Node.newBuilder().setSymlink(SymlinkNode.newBuilder().setTarget(ByteString.EMPTY)).build();
      for (Node root : List.of(empty, shortDigest, shortFileDigest, noTarget)) {
        fails(InvalidTreeException.class, "invalid tree at /", () -> renderer.render(root, none, new ByteArrayOutputStream()));
        fails(InvalidTreeException.class, "invalid tree at /", () -> NarLayout.of(root, none, Long.MAX_VALUE));
      }
    }
  }

  @Test
  void aMissingDirectoryOrOneNotMatchingItsDigestIsNamed() throws Exception {
    try (CountingChunkStore store = store("dirs"); NarRenderer renderer = NarRenderer.builder(store).build()) {
      B3Digest someBlob = B3Digest.wrap(new byte[32]);
      Directory lib = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("x"), someBlob, 0, false).build();
      Directory other = new DirectoryBuilder().addFile(ByteString.copyFromUtf8("y"), someBlob, 0, false).build();
      Directory top = new DirectoryBuilder().addDirectory(ByteString.copyFromUtf8("lib"), lib).build();
      Node root = Node.newBuilder().setDirectory(Directories.directoryNode(ByteString.copyFromUtf8("root"), top)).build();
      B3Digest libDigest = Directories.digest(lib);

      DirectoryLookup missing = DirectoryLookup.of(List.of(top));
      fails(MissingDirectoryException.class, libDigest.hex(), () -> renderer.render(root, missing, OutputStream.nullOutputStream()));
      fails(MissingDirectoryException.class, "/lib", () -> NarLayout.of(root, missing, Long.MAX_VALUE));

      // A lookup answering with another Directory for lib's digest (a corrupt store under it).
      DirectoryLookup wrong = digest -> digest.equals(libDigest) ? other : top;
      MissingDirectoryException e = fails(MissingDirectoryException.class, libDigest.hex(),
          () -> renderer.render(root, wrong, OutputStream.nullOutputStream()));
      assertTrue(e.getMessage().contains(Directories.digest(other).hex()), e.getMessage());
      fails(MissingDirectoryException.class, "/lib", () -> renderer.renderZstd(root, wrong, OutputStream.nullOutputStream()));

      // The right lookup renders (empty files: nothing to fetch).
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      renderer.render(root, DirectoryLookup.of(List.of(top, lib)), out);
      assertEquals(NarRenderer.narSize(root, DirectoryLookup.of(List.of(top, lib))), out.size());
      assertArrayEquals(out.toByteArray(), render(renderer, NarLayout.of(root, DirectoryLookup.of(List.of(top, lib)),
          Long.MAX_VALUE).orElseThrow()));
    }
  }

  private static byte[] render(NarRenderer renderer, NarLayout layout) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    renderer.render(layout, 0, Long.MAX_VALUE, out);
    return out.toByteArray();
  }
}

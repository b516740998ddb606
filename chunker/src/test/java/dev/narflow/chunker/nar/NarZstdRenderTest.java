package dev.narflow.chunker.nar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.cdc.FastCdc;
import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.CorruptChunkException;
import dev.narflow.chunker.store.LayoutChunkStore;
import dev.narflow.chunker.store.LocalDirectoryBackend;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code .nar.zst} by splicing: the real {@code zstd -d} turns the output back into the NAR, the
 * stored chunk frames are in it byte for byte (nothing compressed twice), and a corrupt chunk
 * fails the render instead of passing through.
 */
class NarZstdRenderTest {
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
  void zstdDecodesTheSplicedStreamToTheNar() throws Exception {
    for (Map.Entry<String, byte[]> nar : nars.entrySet()) {
      for (FastCdc.Params params : new FastCdc.Params[] {FastCdc.Params.DEFAULT, NarRoundTripTest.SMALL}) {
        String what = nar.getKey() + " at avg " + params.avgSize();
        try (ChunkStore store = store(nar.getKey() + params.avgSize());
            NarImporter importer = NarImporter.builder(store).params(params).build();
            NarRenderer renderer = NarRenderer.builder(store).window(NarRoundTripTest.window(params)).build()) {
          ImportResult result = importer.importNar(new ByteArrayInputStream(nar.getValue()));
          ByteArrayOutputStream zst = new ByteArrayOutputStream();
          renderer.renderZstd(result.root(), DirectoryLookup.of(result.directories()), zst);
          assertArrayEquals(nar.getValue(), dev.narflow.topics.testing.ZstdTool.decompress(zst.toByteArray()), what);
          // Every stored chunk frame is one of the stream's frames, as it is stored.
          java.util.Set<java.nio.ByteBuffer> frames = frames(zst.toByteArray());
          for (Path object : storedChunks(dir.resolve(nar.getKey() + params.avgSize()))) {
            assertTrue(frames.contains(java.nio.ByteBuffer.wrap(Files.readAllBytes(object))), what + ": " + object.getFileName());
          }
        }
      }
    }
  }

  @Test
  void aCorruptChunkFailsTheRender() throws Exception {
    byte[] nar = nars.get("tree");
    try (ChunkStore store = store("corrupt");
        NarImporter importer = NarImporter.builder(store).params(NarRoundTripTest.SMALL).build();
        NarRenderer renderer = NarRenderer.builder(store).window(NarRoundTripTest.window(NarRoundTripTest.SMALL)).build()) {
      ImportResult result = importer.importNar(new ByteArrayInputStream(nar));
      Path victim = storedChunks(dir.resolve("corrupt")).get(0);
      // A valid zstd frame of other bytes: only the digest check can catch it.
      byte[] other = com.github.luben.zstd.Zstd.compress(new byte[(int) com.github.luben.zstd.Zstd.decompressedSize(
          Files.readAllBytes(victim))], 3);
      Files.write(victim, other);
      IOException e = assertThrows(IOException.class, () -> renderer.renderZstd(result.root(),
          DirectoryLookup.of(result.directories()), OutputStreamSink.INSTANCE));
      assertTrue(e instanceof CorruptChunkException || e.getCause() instanceof CorruptChunkException, e.toString());
    }
  }

  private static java.util.List<Path> storedChunks(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).filter(p -> p.toString().contains("/chunks/")).sorted().toList();
    }
  }

  /** The stream cut at its frame boundaries. */
  private static java.util.Set<java.nio.ByteBuffer> frames(byte[] stream) {
    java.util.Set<java.nio.ByteBuffer> frames = new java.util.HashSet<>();
    for (int at = 0; at < stream.length; ) {
      int size = (int) com.github.luben.zstd.Zstd.findFrameCompressedSize(stream, at);
      frames.add(java.nio.ByteBuffer.wrap(java.util.Arrays.copyOfRange(stream, at, at + size)));
      at += size;
    }
    return frames;
  }

  /** Discards what it is written. */
  private static final class OutputStreamSink extends java.io.OutputStream {
    static final OutputStreamSink INSTANCE = new OutputStreamSink();

    @Override
    public void write(int b) {}

    @Override
    public void write(byte[] b, int off, int len) {}
  }
}

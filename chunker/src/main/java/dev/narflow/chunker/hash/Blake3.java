package dev.narflow.chunker.hash;

import static dev.narflow.chunker.hash.Blake3Scalar.BLOCK_LEN;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_END;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_LEN;
import static dev.narflow.chunker.hash.Blake3Scalar.CHUNK_START;
import static dev.narflow.chunker.hash.Blake3Scalar.PARENT;
import static dev.narflow.chunker.hash.Blake3Scalar.ROOT;

import dev.narflow.topics.castore.B3Digest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BLAKE3-256, incremental. Not thread-safe; one hasher per stream (reusable after {@link #finish}).
 *
 * <p>Whole chunks are compressed several at a time on the Vector API when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, and one at a time in plain Java otherwise; both give
 * the same digests.
 *
 * <p>The tree is kept as the usual stack of complete subtrees. The last node seen so far is never
 * folded into it until more input arrives, because whether it is the root (and must carry the
 * ROOT flag) is only known at {@link #finish}.
 */
public final class Blake3 {
  private static final Logger log = LoggerFactory.getLogger(Blake3.class);

  /**
   * Largest aligned run of chunks reduced to one subtree in scratch space (256 KiB of input).
   * Measured at 1 MiB with 16 lanes: 16 gives 3.2 GB/s, 64 3.7-4.0, 256 3.9-4.0, 1024 no better.
   */
  private static final int MAX_GROUP = 256;
  /** 2^64 bytes of input are 2^54 chunks: at most 55 subtrees are on the stack at once. */
  private static final int MAX_DEPTH = 55;

  /**
   * Fewest nodes worth a part-filled vector batch, although idle lanes cost as much as used ones.
   * Measured with 16 and 8 lanes: 3 leftover chunks hash 1.2-1.4x faster that way than one by
   * one; vector parents add ~25% at 1 MiB over scalar ones.
   */
  private static final int MIN_BATCH = 2;

  private static final int PENDING_NONE = 0;
  /** {@link #pending} holds the chaining value of a subtree that has a left neighbour. */
  private static final int PENDING_CV = 1;
  /** {@link #pending} holds the 16 input words of a parent that may turn out to be the root. */
  private static final int PENDING_PARENT = 2;

  private static final LaneKernel VECTOR = loadVectorKernel();

  private final LaneKernel lanesPrototype;
  private LaneKernel lanes;
  private int[] groupCvs;

  /** Chaining values of complete subtrees, left to right, 8 words each. */
  private final int[] stack = new int[MAX_DEPTH * 8];
  private int depth;
  /** Index of the chunk being filled in the chunk state (= chunks completed so far). */
  private long chunkCounter;

  // The chunk being filled: chaining value so far, blocks compressed, and the block not yet
  // compressed (it might be the chunk's last).
  private final int[] chunkCv = new int[8];
  private int blocksCompressed;
  private final byte[] block = new byte[BLOCK_LEN];
  private int blockLen;

  // A node ending exactly where the input ends so far (only when the chunk state is empty).
  private int pendingKind = PENDING_NONE;
  private final int[] pending = new int[16];
  private int pendingLog2Chunks;

  private final int[] scratch = new int[16];

  private Blake3(LaneKernel lanesPrototype) {
    this.lanesPrototype = lanesPrototype;
    Blake3Scalar.initIv(chunkCv);
  }

  public static Blake3 newHasher() {
    return new Blake3(VECTOR);
  }

  /** A hasher that never uses the Vector API, for tests and comparisons. */
  static Blake3 newScalarHasher() {
    return new Blake3(null);
  }

  /** Whether hashers from {@link #newHasher()} use the Vector API kernel in this JVM. */
  static boolean vectorKernelAvailable() {
    return VECTOR != null;
  }

  /** Lanes of the Vector API kernel, or 1 without it. */
  static int vectorLanes() {
    return VECTOR == null ? 1 : VECTOR.lanes();
  }

  public static B3Digest hash(byte[] data) {
    return hash(data, 0, data.length);
  }

  public static B3Digest hash(byte[] data, int off, int len) {
    return newHasher().update(data, off, len).finish();
  }

  public Blake3 update(byte[] data) {
    return update(data, 0, data.length);
  }

  /** Consumes the remaining bytes of {@code buffer}, advancing its position to its limit. */
  public Blake3 update(ByteBuffer buffer) {
    if (buffer.hasArray()) {
      int pos = buffer.position();
      update(buffer.array(), buffer.arrayOffset() + pos, buffer.remaining());
      buffer.position(buffer.limit());
      return this;
    }
    byte[] copy = new byte[Math.min(buffer.remaining(), MAX_GROUP * CHUNK_LEN)];
    while (buffer.hasRemaining()) {
      int n = Math.min(copy.length, buffer.remaining());
      buffer.get(copy, 0, n);
      update(copy, 0, n);
    }
    return this;
  }

  public Blake3 update(byte[] data, int off, int len) {
    Objects.checkFromIndexSize(off, len, data.length);
    if (len == 0) return this;
    foldPending();
    while (len > 0) {
      int chunkBytes = blocksCompressed * BLOCK_LEN + blockLen;
      if (chunkBytes == CHUNK_LEN) {
        // More input follows, so the buffered chunk is complete and not the root.
        Blake3Scalar.block(chunkCv, 0, block, 0, chunkCounter, BLOCK_LEN, CHUNK_END, chunkCv, 0);
        pushSubtree(chunkCv, 0, 0, ++chunkCounter);
        resetChunkState();
        chunkBytes = 0;
      }
      int consumed = chunkBytes == 0 && len > CHUNK_LEN
          ? wholeChunks(data, off, len)
          : absorb(data, off, Math.min(len, CHUNK_LEN - chunkBytes));
      off += consumed;
      len -= consumed;
    }
    return this;
  }

  /** The digest of everything given so far; the hasher is reset afterwards. */
  public B3Digest finish() {
    int[] node = scratch;
    int[] root = new int[8];
    if (pendingKind == PENDING_PARENT && depth == 0) {
      Blake3Scalar.parent(pending, 0, ROOT, root, 0);
    } else {
      int[] right = new int[8];
      if (pendingKind == PENDING_PARENT) {
        Blake3Scalar.parent(pending, 0, 0, right, 0);
      } else if (pendingKind == PENDING_CV) {
        System.arraycopy(pending, 0, right, 0, 8);
      } else {
        int flags = CHUNK_END | (blocksCompressed == 0 ? CHUNK_START : 0) | (depth == 0 ? ROOT : 0);
        Arrays.fill(block, blockLen, BLOCK_LEN, (byte) 0);
        Blake3Scalar.block(chunkCv, 0, block, 0, chunkCounter, blockLen, flags,
            depth == 0 ? root : right, 0);
      }
      for (int i = depth - 1; i >= 0; i--) {
        System.arraycopy(stack, 8 * i, node, 0, 8);
        System.arraycopy(right, 0, node, 8, 8);
        Blake3Scalar.parent(node, 0, i == 0 ? ROOT : 0, i == 0 ? root : right, 0);
      }
    }
    reset();
    byte[] out = new byte[B3Digest.SIZE];
    for (int i = 0; i < 8; i++) {
      int w = root[i];
      out[4 * i] = (byte) w;
      out[4 * i + 1] = (byte) (w >>> 8);
      out[4 * i + 2] = (byte) (w >>> 16);
      out[4 * i + 3] = (byte) (w >>> 24);
    }
    return B3Digest.wrap(out);
  }

  public void reset() {
    depth = 0;
    chunkCounter = 0;
    pendingKind = PENDING_NONE;
    resetChunkState();
  }

  private void resetChunkState() {
    Blake3Scalar.initIv(chunkCv);
    blocksCompressed = 0;
    blockLen = 0;
  }

  /** Copies up to the rest of the current chunk into the chunk state, compressing full blocks. */
  private int absorb(byte[] data, int off, int len) {
    int taken = 0;
    while (taken < len) {
      if (blockLen == BLOCK_LEN) {
        // More bytes of this chunk follow, so this block is not its last.
        int flags = blocksCompressed == 0 ? CHUNK_START : 0;
        Blake3Scalar.block(chunkCv, 0, block, 0, chunkCounter, BLOCK_LEN, flags, chunkCv, 0);
        blocksCompressed++;
        blockLen = 0;
      }
      int n = Math.min(BLOCK_LEN - blockLen, len - taken);
      System.arraycopy(data, off + taken, block, blockLen, n);
      blockLen += n;
      taken += n;
    }
    return taken;
  }

  /**
   * Hashes whole chunks straight from {@code data} (the chunk state is empty and more than one
   * chunk is available) and returns how many bytes it consumed. A node ending exactly at the end
   * of {@code data} is left pending; a single chunk is only taken when more bytes follow it.
   */
  private int wholeChunks(byte[] data, int off, int len) {
    int available = len / CHUNK_LEN;
    boolean endsOnChunk = len % CHUNK_LEN == 0;
    if (lanesPrototype != null) {
      if (lanes == null) lanes = lanesPrototype.fresh();
      int n = lanes.lanes();
      int group = Math.min(Integer.highestOneBit(available), MAX_GROUP);
      while (group >= n && chunkCounter % group != 0) group >>>= 1;
      int scratchWords = 8 * Math.max(group, n);
      if (groupCvs == null || groupCvs.length < scratchWords) groupCvs = new int[scratchWords];
      if (group >= n) {
        hashGroup(data, off, group, endsOnChunk && group == available);
        return group * CHUNK_LEN;
      }
      // Too few chunks for a group, or not aligned to one: one batch of up to n chunks, ending
      // on a multiple of n so that the following batches can form groups.
      int count = (int) Math.min(available, n - chunkCounter % n);
      if (count >= MIN_BATCH) {
        lanes.chunks(data, off, chunkCounter, count, groupCvs, 0);
        boolean last = endsOnChunk && count == available;
        for (int i = 0; i < count; i++) {
          if (last && i == count - 1) {
            setPendingCv(groupCvs, 8 * i, 0);
          } else {
            pushSubtree(groupCvs, 8 * i, 0, chunkCounter + i + 1);
          }
        }
        chunkCounter += count;
        return count * CHUNK_LEN;
      }
    }
    Blake3Scalar.chunk(data, off, chunkCounter, scratch, 0);
    pushSubtree(scratch, 0, 0, ++chunkCounter);
    return CHUNK_LEN;
  }

  /**
   * Hashes {@code group} (a power of two, a multiple of the lane count) chunks starting at a
   * chunk index that is a multiple of {@code group}, reducing them to the root of their subtree.
   */
  private void hashGroup(byte[] data, int off, int group, boolean endsInput) {
    int n = lanes.lanes();
    int[] cvs = groupCvs;
    for (int i = 0; i < group; i += n) {
      lanes.chunks(data, off + i * CHUNK_LEN, chunkCounter + i, n, cvs, 8 * i);
    }
    // Reduce level by level in place. If the group ends the input so far, its top parent might
    // be the root: keep that one's input instead of compressing it.
    int nodes = group;
    int keep = endsInput ? 2 : 1;
    while (nodes > keep) {
      int parents = nodes / 2;
      int j = 0;
      for (; parents - j >= MIN_BATCH; j += n) {
        lanes.parents(cvs, 16 * j, Math.min(n, parents - j), cvs, 8 * j);
      }
      for (; j < parents; j++) {
        Blake3Scalar.parent(cvs, 16 * j, 0, cvs, 8 * j);
      }
      nodes = parents;
    }
    int log2 = Integer.numberOfTrailingZeros(group);
    chunkCounter += group;
    if (endsInput) {
      System.arraycopy(cvs, 0, pending, 0, 16);
      pendingKind = PENDING_PARENT;
      pendingLog2Chunks = log2;
    } else {
      pushSubtree(cvs, 0, log2, chunkCounter);
    }
  }

  private void setPendingCv(int[] src, int srcOff, int log2Chunks) {
    System.arraycopy(src, srcOff, pending, 0, 8);
    pendingKind = PENDING_CV;
    pendingLog2Chunks = log2Chunks;
  }

  /** More input arrived, so the pending node is not the root: add it to the tree. */
  private void foldPending() {
    if (pendingKind == PENDING_NONE) return;
    if (pendingKind == PENDING_PARENT) Blake3Scalar.parent(pending, 0, 0, pending, 0);
    pendingKind = PENDING_NONE;
    pushSubtree(pending, 0, pendingLog2Chunks, chunkCounter);
  }

  /**
   * Pushes the chaining value of a complete subtree of {@code 2^log2Chunks} chunks that ends at
   * chunk {@code chunksAfter}, merging every pair of equal-sized subtrees it completes (a subtree
   * is complete when the chunk count in its units is even).
   */
  private void pushSubtree(int[] cv, int cvOff, int log2Chunks, long chunksAfter) {
    System.arraycopy(cv, cvOff, stack, 8 * depth, 8);
    depth++;
    for (long units = chunksAfter >>> log2Chunks; (units & 1) == 0; units >>>= 1) {
      depth--;
      Blake3Scalar.parent(stack, 8 * (depth - 1), 0, stack, 8 * (depth - 1));
    }
  }

  private static LaneKernel loadVectorKernel() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      log.debug("BLAKE3: jdk.incubator.vector not in the boot layer; scalar kernel");
      return null;
    }
    try {
      LaneKernel kernel = (LaneKernel) Class.forName("dev.narflow.chunker.hash.Blake3Vector")
          .getDeclaredConstructor().newInstance();
      if (kernel.lanes() < 4) {
        log.debug("BLAKE3: {} int lanes only; scalar kernel", kernel.lanes());
        return null;
      }
      log.debug("BLAKE3: Vector API kernel, {} lanes", kernel.lanes());
      return kernel;
    } catch (ReflectiveOperationException | LinkageError e) {
      log.debug("BLAKE3: Vector API kernel unavailable; scalar kernel", e);
      return null;
    }
  }
}

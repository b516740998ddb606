package dev.narflow.chunker.testing;

import dev.narflow.chunker.store.ChunkStore;
import dev.narflow.chunker.store.ObjectStat;
import dev.narflow.chunker.store.PutChunkResult;
import dev.narflow.topics.castore.B3Digest;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Passes every call to a real store, recording which chunks and blob indexes were read. Tests may override calls to slow them down or make them fail. */
public class CountingChunkStore implements ChunkStore {
  private final ChunkStore delegate;
  public final List<B3Digest> chunkGets = new CopyOnWriteArrayList<>();
  public final List<B3Digest> indexGets = new CopyOnWriteArrayList<>();
  public final AtomicInteger flushes = new AtomicInteger();
  public final AtomicInteger puts = new AtomicInteger();

  public CountingChunkStore(ChunkStore delegate) {
    this.delegate = delegate;
  }

  public void reset() {
    chunkGets.clear();
    indexGets.clear();
  }

  @Override
  public boolean putChunk(B3Digest digest, byte[] data, int off, int len) throws IOException {
    return delegate.putChunk(digest, data, off, len);
  }

  @Override
  public PutChunkResult putChunk(byte[] data, int off, int len) throws IOException {
    puts.incrementAndGet();
    return delegate.putChunk(data, off, len);
  }

  @Override
  public byte[] getChunk(B3Digest digest, int size) throws IOException {
    chunkGets.add(digest);
    return delegate.getChunk(digest, size);
  }

  @Override
  public boolean hasChunk(B3Digest digest) throws IOException {
    return delegate.hasChunk(digest);
  }

  @Override
  public Optional<ObjectStat> statChunk(B3Digest digest) throws IOException {
    return delegate.statChunk(digest);
  }

  @Override
  public boolean putBlobIndex(B3Digest blobDigest, byte[] encoded) throws IOException {
    return delegate.putBlobIndex(blobDigest, encoded);
  }

  @Override
  public Optional<byte[]> getBlobIndex(B3Digest blobDigest) throws IOException {
    indexGets.add(blobDigest);
    return delegate.getBlobIndex(blobDigest);
  }

  @Override
  public boolean hasBlobIndex(B3Digest blobDigest) throws IOException {
    return delegate.hasBlobIndex(blobDigest);
  }

  @Override
  public void flush() throws IOException {
    flushes.incrementAndGet();
    delegate.flush();
  }

  @Override
  public String location() {
    return delegate.location();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}

package dev.narflow.chunker.nar;

/**
 * What an import found and did. Counts of NAR entries include duplicates; "unique" and "new"
 * counts do not.
 *
 * @param files regular files in the NAR
 * @param directories directories in the NAR, the root included
 * @param symlinks symlinks in the NAR
 * @param blobs distinct blob digests among the files (the empty blob included)
 * @param chunks chunks of all files, a chunk counted each time a file uses it
 * @param uniqueChunks distinct chunks
 * @param newChunks chunks this import stored (the others were stored already)
 * @param contentBytes bytes of all files' contents
 * @param uniqueChunkBytes uncompressed bytes of the distinct chunks
 * @param storedBytes bytes written to the store for the new chunks (compressed)
 * @param newChunkBytes uncompressed bytes of the new chunks: with {@code contentBytes}, what the
 *     store deduplicated (known chunks cost no upload), apart from what compression saved
 */
public record ImportStats(
    long files,
    long directories,
    long symlinks,
    long blobs,
    long chunks,
    long uniqueChunks,
    long newChunks,
    long contentBytes,
    long uniqueChunkBytes,
    long storedBytes,
    long newChunkBytes) {}

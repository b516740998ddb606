package dev.narflow.topics.nar;

import com.google.protobuf.ByteString;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A streaming NAR serializer whose calls mirror {@link NarReader}'s events: one node call per
 * event, each entry carrying its name (the root's is {@link ByteString#EMPTY}).
 *
 * <pre>{@code
 * NarWriter nar = new NarWriter(out);
 * nar.directoryStart(ByteString.EMPTY);
 * nar.file(name("a"), false, size, contents);
 * nar.symlink(name("b"), target);
 * nar.directoryEnd();                        // the root is complete: buffered bytes are flushed
 * }</pre>
 *
 * <p>It refuses to emit an invalid NAR: names and targets must satisfy {@link Nar}'s rules,
 * entries must come in strictly ascending byte order, nesting stays within {@link Nar#MAX_DEPTH},
 * a file's contents must be exactly its declared size, and nothing may follow the root. A refused
 * call ({@link IllegalArgumentException} or {@link IllegalStateException}) writes nothing, so the
 * writer stays usable; an {@link IOException} leaves the output incomplete.
 *
 * <p>Output is buffered internally (file contents of a buffer or more go straight through) and
 * flushed, with {@code out.flush()}, when the root node completes. The writer does not close
 * {@code out}.
 */
public final class NarWriter {
  private static final byte[] MAGIC = Nar.tokens("nix-archive-1");
  private static final byte[] REGULAR = Nar.tokens("(", "type", "regular");
  private static final byte[] EXECUTABLE_CONTENTS = Nar.tokens("executable", "", "contents");
  private static final byte[] CONTENTS = Nar.tokens("contents");
  private static final byte[] SYMLINK = Nar.tokens("(", "type", "symlink", "target");
  private static final byte[] DIRECTORY = Nar.tokens("(", "type", "directory");
  private static final byte[] ENTRY = Nar.tokens("entry", "(", "name");
  private static final byte[] NODE = Nar.tokens("node");
  private static final byte[] CLOSE = Nar.tokens(")");
  private static final byte[] ZEROS = new byte[8];

  private final OutputStream out;
  private final byte[] buffer = new byte[64 * 1024];
  private int position;
  private long offset;

  private final ByteString[] names = new ByteString[Nar.MAX_DEPTH + 2];
  private final ByteString[] lastEntry = new ByteString[Nar.MAX_DEPTH + 2];
  private int openDirectories;
  private boolean started;
  private boolean complete;
  private FileContents openFile;

  /** A writer of one NAR to {@code out}, which it does not close. */
  public NarWriter(OutputStream out) {
    this.out = Objects.requireNonNull(out, "out");
  }

  /** Starts a directory; its entries follow, then {@link #directoryEnd()}. */
  public void directoryStart(ByteString name) throws IOException {
    beginNode(name);
    write(DIRECTORY);
    openDirectories++;
    lastEntry[openDirectories] = null;
  }

  /** Ends the innermost open directory. */
  public void directoryEnd() throws IOException {
    checkUsable();
    if (openDirectories == 0) throw new IllegalStateException("no open directory to end");
    openDirectories--;
    endNode();
  }

  /** A symlink to {@code target}. */
  public void symlink(ByteString name, ByteString target) throws IOException {
    String problem = Nar.targetProblem(target);
    if (problem != null) throw new IllegalArgumentException(problem + " at " + pathOf(name));
    beginNode(name);
    write(SYMLINK);
    writeString(target);
    endNode();
  }

  /**
   * A regular file whose contents are the {@code size} bytes of {@code contents}, which must then
   * be at end of input: fewer bytes is an {@link EOFException}, more an {@link IOException}.
   */
  public void file(ByteString name, boolean executable, long size, InputStream contents)
      throws IOException {
    Objects.requireNonNull(contents, "contents");
    FileContents sink = (FileContents) openFile(name, executable, size);
    long left = size;
    while (left > 0) {
      if (position == buffer.length) flushBuffer();
      int n = contents.read(buffer, position, (int) Math.min(buffer.length - position, left));
      if (n < 0) {
        throw new EOFException("contents of " + pathOf(null) + " ended after " + (size - left)
            + " of the declared " + size + " bytes");
      }
      position += n;
      offset += n;
      left -= n;
    }
    sink.remaining = 0;
    if (contents.read() != -1) {
      throw new IOException("contents of " + pathOf(null) + " are longer than the declared " + size
          + " bytes");
    }
    sink.close();
  }

  /**
   * A regular file whose contents the caller writes to the returned stream: exactly {@code size}
   * bytes, then {@code close()}, before any other call on this writer.
   */
  public OutputStream openFile(ByteString name, boolean executable, long size) throws IOException {
    if (size < 0) throw new IllegalArgumentException("negative file size " + size);
    beginNode(name);
    write(REGULAR);
    write(executable ? EXECUTABLE_CONTENTS : CONTENTS);
    writeLong(size);
    openFile = new FileContents(size);
    return openFile;
  }

  /**
   * Accounts for the next {@code n} bytes of the open file's contents without writing them: the
   * output lacks exactly those bytes, and everything else (offsets, padding, the size check on
   * close) proceeds as if they had been written. For a renderer that starts at an offset and must
   * not fetch contents its reader would discard. What is buffered is flushed first, so the bytes
   * the output receives before and after the gap are in NAR order.
   *
   * @throws IllegalStateException if no file is open
   * @throws IOException if {@code n} exceeds what remains of the file's declared size
   */
  public void skipContents(long n) throws IOException {
    if (openFile == null) throw new IllegalStateException("no open file whose contents to skip");
    if (n < 0) throw new IllegalArgumentException("negative skip " + n);
    openFile.skip(n);
  }

  /**
   * Writes what is buffered to the output and flushes it, e.g. for a consumer that stops before
   * the root completes (a byte range ending inside the NAR).
   */
  public void flush() throws IOException {
    flushBuffer();
    out.flush();
  }

  /** Writes every remaining event of {@code reader}: a validating copy of a NAR. */
  public void copyFrom(NarReader reader) throws IOException {
    for (NarReader.Event e; (e = reader.next()) != NarReader.Event.END; ) {
      switch (e) {
        case DIRECTORY_START:
          directoryStart(reader.name());
          break;
        case FILE:
          file(reader.name(), reader.executable(), reader.size(), reader.contents());
          break;
        case SYMLINK:
          symlink(reader.name(), reader.target());
          break;
        case DIRECTORY_END:
          directoryEnd();
          break;
        default:
          throw new AssertionError(e);
      }
    }
  }

  /** Bytes of the NAR written so far, including those still buffered. */
  public long offset() {
    return offset;
  }

  /** Whether the root node is complete (and everything flushed). */
  public boolean complete() {
    return complete;
  }

  // --- structure -------------------------------------------------------------------------------

  /** Validates everything about a new node before writing anything, then writes its preamble. */
  private void beginNode(ByteString name) throws IOException {
    Objects.requireNonNull(name, "name");
    checkUsable();
    if (!started) {
      if (!name.isEmpty()) {
        throw new IllegalArgumentException("the root node has no name, got '" + Nar.render(name) + "'");
      }
      write(MAGIC);
      started = true;
      return;
    }
    String problem = Nar.nameProblem(name);
    if (problem == null) problem = Nar.orderProblem(lastEntry[openDirectories], name);
    if (problem == null && openDirectories > Nar.MAX_DEPTH) {
      problem = "nesting deeper than " + Nar.MAX_DEPTH + " levels";
    }
    if (problem != null) throw new IllegalArgumentException(problem + " in " + Nar.path(names, openDirectories - 1));
    lastEntry[openDirectories] = name;
    names[openDirectories] = name;
    write(ENTRY);
    writeString(name);
    write(NODE);
  }

  /** Closes the node just written, and its entry unless it is the root. */
  private void endNode() throws IOException {
    write(CLOSE);
    if (openDirectories > 0) {
      write(CLOSE);
    } else {
      complete = true;
      flushBuffer();
      out.flush();
    }
  }

  private void checkUsable() {
    if (openFile != null) {
      throw new IllegalStateException("the contents of " + pathOf(null) + " are not complete");
    }
    if (complete) throw new IllegalStateException("the NAR is complete: nothing may follow the root");
  }

  /** Path for messages: of a new entry {@code name} in the open directory, or (null) of the open file. */
  private String pathOf(ByteString name) {
    if (name == null) return Nar.path(names, openDirectories);
    if (!started || openDirectories == 0) return "/";
    String directory = openDirectories == 1 ? "" : Nar.path(names, openDirectories - 1);
    return directory + "/" + Nar.render(name);
  }

  // --- bytes -----------------------------------------------------------------------------------

  private void writeString(ByteString s) throws IOException {
    int n = s.size();
    writeLong(n);
    if (buffer.length - position < n) flushBuffer();
    s.copyTo(buffer, position);
    position += n;
    offset += n;
    writePadding(n);
  }

  private void writePadding(long n) throws IOException {
    int padding = (int) (Nar.padded(n) - n);
    if (padding > 0) write(ZEROS, 0, padding);
  }

  private void writeLong(long v) throws IOException {
    if (buffer.length - position < 8) flushBuffer();
    Nar.putLong(buffer, position, v);
    position += 8;
    offset += 8;
  }

  private void write(byte[] b) throws IOException {
    write(b, 0, b.length);
  }

  private void write(byte[] b, int off, int len) throws IOException {
    if (len >= buffer.length) {
      flushBuffer();
      out.write(b, off, len);
    } else {
      if (buffer.length - position < len) flushBuffer();
      System.arraycopy(b, off, buffer, position, len);
      position += len;
    }
    offset += len;
  }

  private void flushBuffer() throws IOException {
    if (position > 0) {
      out.write(buffer, 0, position);
      position = 0;
    }
  }

  /** The open file's contents: refuses more than the declared size, and less on close. */
  private final class FileContents extends OutputStream {
    private final long size;
    private long remaining;
    private boolean closed;

    FileContents(long size) {
      this.size = size;
      this.remaining = size;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (closed) throw new IOException("contents of " + pathOf(null) + " already closed");
      if (len > remaining) {
        throw new IOException("contents of " + pathOf(null) + " are longer than the declared " + size
            + " bytes");
      }
      NarWriter.this.write(b, off, len);
      remaining -= len;
    }

    void skip(long n) throws IOException {
      if (closed) throw new IOException("contents of " + pathOf(null) + " already closed");
      if (n > remaining) {
        throw new IOException("contents of " + pathOf(null) + " are longer than the declared " + size
            + " bytes");
      }
      flushBuffer();
      offset += n;
      remaining -= n;
    }

    /** Completes the file; fewer bytes than declared is an {@link EOFException}. */
    @Override
    public void close() throws IOException {
      if (closed) return;
      if (remaining > 0) {
        throw new EOFException("contents of " + pathOf(null) + " ended after " + (size - remaining)
            + " of the declared " + size + " bytes");
      }
      closed = true;
      openFile = null;
      writePadding(size);
      endNode();
    }
  }
}

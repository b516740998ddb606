package dev.narflow.topics.nar;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A streaming, validating pull parser of a NAR.
 *
 * <pre>{@code
 * NarReader nar = new NarReader(new BufferedInputStream(in));
 * for (NarReader.Event e; (e = nar.next()) != NarReader.Event.END; ) {
 *   switch (e) {
 *     case DIRECTORY_START -> push(nar.name());
 *     case FILE -> add(nar.name(), nar.executable(), nar.size(), nar.contents());
 *     case SYMLINK -> add(nar.name(), nar.target());
 *     case DIRECTORY_END -> pop();
 *   }
 * }
 * }</pre>
 *
 * <p>Why a pull API with the name on each node event: an importer building a castore tree bottom-up
 * keeps a stack of directories; with the entry name carried by the node's own event (the root's
 * name is empty), DIRECTORY_START pushes (name, builder), FILE and SYMLINK add a leaf to the top,
 * and DIRECTORY_END pops, finishes the digest and adds it to the parent under its name. No pending
 * state between events, and the caller controls the pace (no callbacks, no inversion of control for
 * reading file contents). The accessors describe the current event and change with {@link #next}.
 *
 * <p>Streaming: a file's contents is never buffered. {@link #contents()} is a bounded stream over
 * the input that the caller reads (bulk reads pass straight through) or leaves; {@link #next}
 * consumes whatever is left, then checks the padding.
 *
 * <p>Validation: every structural rule, the name and target rules of {@link Nar}, strictly
 * ascending entries, nesting at most {@link Nar#MAX_DEPTH}, zero padding, truncation, and no bytes
 * after the root node. String lengths are checked before anything is allocated. Any violation is a
 * {@link NarFormatException} naming the problem, the node's path and the byte offset; the reader is
 * then unusable.
 *
 * <p>Input: the reader reads exactly the NAR's bytes and then one more read to see end of input, so
 * a caller can hash and count the raw NAR by wrapping the stream (e.g. {@link
 * java.security.DigestInputStream}); it never calls {@code skip} on the input, so such wrappers see
 * every byte. It does not buffer; for small reads to be cheap give it a buffered stream. It does
 * not close the input.
 */
public final class NarReader {
  /** What the reader found. */
  public enum Event {
    /** A directory begins; its entries follow, then {@link #DIRECTORY_END}. */
    DIRECTORY_START,
    /** A regular file: {@link #executable()}, {@link #size()}, {@link #contents()}. */
    FILE,
    /** A symlink: {@link #target()}. */
    SYMLINK,
    /** The directory begun by the matching {@link #DIRECTORY_START} ends. */
    DIRECTORY_END,
    /** The root node ended and so did the input. Repeated by every later {@link #next}. */
    END
  }

  private enum State { INITIAL, IN_FILE, AFTER_NODE, IN_DIRECTORY, ENDED, FAILED }

  private static final byte[] MAGIC = ascii("nix-archive-1");
  private static final byte[] OPEN = ascii("(");
  private static final byte[] CLOSE = ascii(")");
  private static final byte[] TYPE = ascii("type");
  private static final byte[] REGULAR = ascii("regular");
  private static final byte[] SYMLINK_TYPE = ascii("symlink");
  private static final byte[] DIRECTORY = ascii("directory");
  private static final byte[] EXECUTABLE = ascii("executable");
  private static final byte[] CONTENTS = ascii("contents");
  private static final byte[] TARGET = ascii("target");
  private static final byte[] ENTRY = ascii("entry");
  private static final byte[] NAME = ascii("name");
  private static final byte[] NODE = ascii("node");
  /** Strings where a keyword is due longer than this are reported by their length only. */
  private static final int MAX_KEYWORD_LENGTH = 64;

  private final InputStream in;
  private long offset;
  private final byte[] word = new byte[8];
  /** Holds the current string: room for the longest target plus padding. */
  private final byte[] scratch = new byte[Nar.padded(Nar.MAX_TARGET_LENGTH)];
  private byte[] discard;

  /** names[d]: name of the node at depth d on the current path (names[0] is the root's, empty). */
  private final ByteString[] names = new ByteString[Nar.MAX_DEPTH + 2];
  /** lastEntry[d]: the previous entry name in the open directory whose entries are at depth d. */
  private final ByteString[] lastEntry = new ByteString[Nar.MAX_DEPTH + 2];
  private int openDirectories;

  private State state = State.INITIAL;
  private Event event;
  private int depth;
  private boolean executable;
  private long size;
  private Contents contents;
  private ByteString target;

  /** A reader of the NAR on {@code in}, which it reads from but does not close. */
  public NarReader(InputStream in) {
    this.in = Objects.requireNonNull(in, "in");
  }

  /**
   * Moves to the next event, first consuming what is left of the previous one (unread file contents
   * and their padding).
   */
  public Event next() throws IOException {
    try {
      switch (state) {
        case INITIAL:
          readMagic();
          return node(ByteString.EMPTY, 0);
        case IN_FILE:
          finishFile();
          return afterNode();
        case AFTER_NODE:
          return afterNode();
        case IN_DIRECTORY:
          return directoryBody();
        case ENDED:
          return Event.END;
        default:
          throw new IllegalStateException("the NAR reader failed earlier");
      }
    } catch (IOException | RuntimeException e) {
      fail();
      throw e;
    }
  }

  /** The current event; null before the first {@link #next}. */
  public Event event() {
    return event;
  }

  /** Name of the current node, empty for the root. Valid for every event but END. */
  public ByteString name() {
    requireNode();
    return names[depth];
  }

  /** Number of names in the current node's path: 0 for the root. */
  public int depth() {
    requireNode();
    return depth;
  }

  /** Path of the current node for display, e.g. {@code /keep/.keep} ({@code /} is the root). */
  public String path() {
    requireNode();
    return Nar.path(names, depth);
  }

  /** Whether the current file is executable. */
  public boolean executable() {
    require(Event.FILE);
    return executable;
  }

  /** Size in bytes of the current file's contents. */
  public long size() {
    require(Event.FILE);
    return size;
  }

  /**
   * The current file's contents: a stream of exactly {@link #size()} bytes read straight from the
   * input. Reading is optional; {@link #next} skips the rest. Closing it does nothing. Once the
   * reader has moved on, reading it throws {@link IllegalStateException}.
   */
  public InputStream contents() {
    require(Event.FILE);
    return contents;
  }

  /** The current symlink's target. */
  public ByteString target() {
    require(Event.SYMLINK);
    return target;
  }

  /**
   * Bytes of the NAR consumed so far. At a FILE event this is where the contents begin; at END it
   * is the NAR's size.
   */
  public long offset() {
    return offset;
  }

  // --- grammar ---------------------------------------------------------------------------------

  private void readMagic() throws IOException {
    long at = offset;
    long length = readWord();
    if (length != MAGIC.length) {
      throw new NarFormatException("input doesn't look like a NAR (no 'nix-archive-1' magic)", "/", at);
    }
    readBody(MAGIC.length);
    if (!is(MAGIC, MAGIC.length)) {
      throw new NarFormatException("input doesn't look like a NAR (no 'nix-archive-1' magic)", "/", at);
    }
  }

  /** Reads a node up to its first event; {@code name} is already validated. */
  private Event node(ByteString name, int nodeDepth) throws IOException {
    names[nodeDepth] = name;
    depth = nodeDepth;
    contents = null;
    target = null;
    expect(OPEN);
    expect(TYPE);
    long at = offset;
    int length = readKeyword("node type", at);
    if (is(REGULAR, length)) {
      return file();
    } else if (is(SYMLINK_TYPE, length)) {
      return symlink();
    } else if (is(DIRECTORY, length)) {
      openDirectories = nodeDepth + 1;
      lastEntry[openDirectories] = null;
      state = State.IN_DIRECTORY;
      return event = Event.DIRECTORY_START;
    }
    throw error("unknown node type '" + shown(length) + "'", at);
  }

  private Event file() throws IOException {
    long at = offset;
    int length = readKeyword("'executable' or 'contents'", at);
    executable = is(EXECUTABLE, length);
    if (executable) {
      at = offset;
      if (readWord() != 0) throw error("executable marker has non-empty value", at);
      at = offset;
      length = readKeyword("'contents'", at);
    }
    if (!is(CONTENTS, length)) throw error("expected 'contents', got '" + shown(length) + "'", at);
    at = offset;
    size = readWord();
    if (size < 0) {
      throw error("file size " + Long.toUnsignedString(size) + " too large (over 2^63-1 bytes)", at);
    }
    contents = new Contents(size);
    state = State.IN_FILE;
    return event = Event.FILE;
  }

  private void finishFile() throws IOException {
    Contents c = contents;
    c.discardRest();
    c.retire();
    int padding = (int) (Nar.padded(size) - size);
    if (padding > 0) {
      long at = offset;
      readFully(scratch, 0, padding);
      checkZero(0, padding, at);
    }
    expect(CLOSE);
  }

  private Event symlink() throws IOException {
    expect(TARGET);
    long at = offset;
    long length = readWord();
    if (Long.compareUnsigned(length, Nar.MAX_TARGET_LENGTH) > 0) {
      throw error("invalid symlink target of " + Long.toUnsignedString(length)
          + " bytes (longer than " + Nar.MAX_TARGET_LENGTH + ")", at);
    }
    readBody((int) length);
    ByteString t = ByteString.copyFrom(scratch, 0, (int) length);
    String problem = Nar.targetProblem(t);
    if (problem != null) throw error(problem, at);
    target = t;
    expect(CLOSE);
    state = State.AFTER_NODE;
    return event = Event.SYMLINK;
  }

  /** After a node's own closing ")": the end of input for the root, else the entry's ")". */
  private Event afterNode() throws IOException {
    if (depth == 0) {
      long at = offset;
      if (in.read() != -1) throw error("trailing bytes after the NAR", at);
      state = State.ENDED;
      return event = Event.END;
    }
    expect(CLOSE);
    return directoryBody();
  }

  /** In an open directory: the next entry, or its end. */
  private Event directoryBody() throws IOException {
    int directoryDepth = openDirectories - 1;
    depth = directoryDepth;
    long at = offset;
    int length = readKeyword("'entry' or ')'", at);
    if (is(CLOSE, length)) {
      openDirectories = directoryDepth;
      state = State.AFTER_NODE;
      return event = Event.DIRECTORY_END;
    }
    if (!is(ENTRY, length)) throw error("expected 'entry' or ')', got '" + shown(length) + "'", at);
    expect(OPEN);
    expect(NAME);
    at = offset;
    long nameLength = readWord();
    if (Long.compareUnsigned(nameLength, Nar.MAX_NAME_LENGTH) > 0) {
      throw error("invalid entry name of " + Long.toUnsignedString(nameLength)
          + " bytes (longer than " + Nar.MAX_NAME_LENGTH + ")", at);
    }
    readBody((int) nameLength);
    ByteString name = ByteString.copyFrom(scratch, 0, (int) nameLength);
    String problem = Nar.nameProblem(name);
    if (problem == null) problem = Nar.orderProblem(lastEntry[openDirectories], name);
    if (problem == null && openDirectories > Nar.MAX_DEPTH) {
      problem = "nesting deeper than " + Nar.MAX_DEPTH + " levels";
    }
    if (problem != null) throw error(problem, at);
    lastEntry[openDirectories] = name;
    expect(NODE);
    return node(name, openDirectories);
  }

  // --- tokens ----------------------------------------------------------------------------------

  private void expect(byte[] keyword) throws IOException {
    long at = offset;
    int length = readKeyword("'" + new String(keyword, StandardCharsets.US_ASCII) + "'", at);
    if (!is(keyword, length)) {
      throw error("expected '" + new String(keyword, StandardCharsets.US_ASCII) + "', got '"
          + shown(length) + "'", at);
    }
  }

  /** Reads a string where a keyword is due into {@link #scratch}; returns its length. */
  private int readKeyword(String expected, long at) throws IOException {
    long length = readWord();
    if (Long.compareUnsigned(length, MAX_KEYWORD_LENGTH) > 0) {
      throw error("expected " + expected + ", got a string of " + Long.toUnsignedString(length)
          + " bytes", at);
    }
    readBody((int) length);
    return (int) length;
  }

  private boolean is(byte[] keyword, int length) {
    if (length != keyword.length) return false;
    for (int i = 0; i < length; i++) {
      if (scratch[i] != keyword[i]) return false;
    }
    return true;
  }

  private String shown(int length) {
    return Nar.render(ByteString.copyFrom(scratch, 0, length));
  }

  /** Reads a u64 little-endian (as a signed long: callers compare unsigned). */
  private long readWord() throws IOException {
    readFully(word, 0, 8);
    return Nar.getLong(word, 0);
  }

  /** Reads a string's bytes and padding into {@link #scratch}, checking the padding is zero. */
  private void readBody(int length) throws IOException {
    int padded = Nar.padded(length);
    readFully(scratch, 0, padded);
    checkZero(length, padded, offset - (padded - length));
  }

  private void checkZero(int from, int to, long at) throws NarFormatException {
    for (int i = from; i < to; i++) {
      if (scratch[i] != 0) throw error("non-zero padding", at + (i - from));
    }
  }

  private void readFully(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      int n = in.read(b, off, len);
      if (n < 0) throw truncated();
      offset += n;
      off += n;
      len -= n;
    }
  }

  private NarFormatException truncated() {
    return error("truncated NAR (input ended)", offset);
  }

  private NarFormatException error(String problem, long at) {
    return new NarFormatException(problem, Nar.path(names, depth), at);
  }

  private void fail() {
    state = State.FAILED;
    if (contents != null) contents.retire();
  }

  private void requireNode() {
    if (event == null || event == Event.END || state == State.FAILED) {
      throw new IllegalStateException("no current node (event " + event + ", state " + state + ")");
    }
  }

  private void require(Event expected) {
    if (event != expected || state == State.FAILED) {
      throw new IllegalStateException("current event is " + event + ", not " + expected);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** A file's contents: at most {@code remaining} bytes read straight from the input. */
  private final class Contents extends InputStream {
    private long remaining;
    private boolean current = true;

    Contents(long size) {
      this.remaining = size;
    }

    @Override
    public int read() throws IOException {
      checkCurrent();
      if (remaining == 0) return -1;
      int b;
      try {
        b = in.read();
        if (b < 0) throw truncated();
      } catch (IOException | RuntimeException e) {
        fail();
        throw e;
      }
      remaining--;
      offset++;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      checkCurrent();
      if (len == 0) return 0;
      if (remaining == 0) return -1;
      int n;
      try {
        n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) throw truncated();
      } catch (IOException | RuntimeException e) {
        fail();
        throw e;
      }
      remaining -= n;
      offset += n;
      return n;
    }

    /** Skips by reading, so that a hashing wrapper around the input still sees every byte. */
    @Override
    public long skip(long n) throws IOException {
      checkCurrent();
      long want = Math.min(Math.max(n, 0), remaining);
      long left = want;
      byte[] buffer = discardBuffer();
      while (left > 0) {
        int r = read(buffer, 0, (int) Math.min(buffer.length, left));
        left -= r;
      }
      return want;
    }

    @Override
    public int available() throws IOException {
      checkCurrent();
      return (int) Math.min(in.available(), remaining);
    }

    /** Does nothing: the reader consumes what is left when it moves on. */
    @Override
    public void close() {}

    void discardRest() throws IOException {
      skip(remaining);
    }

    void retire() {
      current = false;
    }

    private void checkCurrent() {
      if (!current) throw new IllegalStateException("the NAR reader has moved past this file");
    }
  }

  private byte[] discardBuffer() {
    if (discard == null) discard = new byte[64 * 1024];
    return discard;
  }
}

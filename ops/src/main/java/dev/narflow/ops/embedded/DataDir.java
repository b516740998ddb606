package dev.narflow.ops.embedded;

import dev.narflow.ops.Narflow;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The {@code --data DIR} of the embedded mode: Kafka's log in {@code DIR/kafka}, chunks in
 * {@code DIR/chunks}, view state in {@code DIR/state}, and {@code DIR/narflow-version}, which
 * records the data format and the narflow that made the directory, so that a narflow that
 * cannot read it refuses it instead of damaging it. Immutable.
 */
public final class DataDir {
  /** Raised when a narflow can no longer read directories made by an older one. */
  public static final int FORMAT_VERSION = 1;
  public static final String VERSION_FILE = "narflow-version";
  /** Locked by the process using the directory ({@link #lock}). */
  static final String LOCK_FILE = "narflow.lock";

  private final Path root;
  private final String madeBy;
  private final boolean created;

  private DataDir(Path root, String madeBy, boolean created) {
    this.root = root;
    this.madeBy = madeBy;
    this.created = created;
  }

  /**
   * Opens {@code dir}, creating it (or initializing it when empty) on first use. A directory
   * holding other things, made by an incompatible narflow, or not writable is refused.
   */
  public static DataDir open(Path dir) throws DataDirException {
    Path root = dir.toAbsolutePath().normalize();
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new DataDirException(root + " is not a directory");
    }
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new DataDirException("cannot create " + root + ": " + reason(e), e);
    }
    Path versionFile = root.resolve(VERSION_FILE);
    boolean created = false;
    String madeBy;
    if (Files.exists(versionFile)) {
      madeBy = checkVersion(root, versionFile);
    } else {
      if (!isEmpty(root)) {
        throw new DataDirException(root + " is not empty and has no " + VERSION_FILE
            + ", so it is not a narflow data directory; give a new or empty directory");
      }
      madeBy = "narflow " + Narflow.VERSION;
      writeVersion(root, versionFile, madeBy);
      created = true;
    }
    DataDir data = new DataDir(root, madeBy, created);
    for (Path sub : List.of(data.kafka(), data.chunks(), data.state())) {
      try {
        Files.createDirectories(sub);
      } catch (IOException e) {
        throw new DataDirException("cannot create " + sub + ": " + reason(e), e);
      }
    }
    if (!Files.isWritable(root)) throw new DataDirException("cannot write to " + root + ": permission denied");
    return data;
  }

  /** The recorded maker, after checking that this narflow reads the recorded format. */
  private static String checkVersion(Path root, Path versionFile) throws DataDirException {
    List<String> lines;
    try {
      lines = Files.readAllLines(versionFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new DataDirException("cannot read " + versionFile + ": " + reason(e), e);
    }
    int format;
    try {
      format = Integer.parseInt(lines.isEmpty() ? "" : lines.get(0).strip());
    } catch (NumberFormatException e) {
      throw new DataDirException(versionFile + " does not start with a data format number;"
          + " it was not written by narflow");
    }
    String madeBy = lines.size() > 1 && !lines.get(1).isBlank() ? lines.get(1).strip() : "an unknown narflow";
    if (format != FORMAT_VERSION) {
      throw new DataDirException(root + " was made by " + madeBy + " (data format " + format
          + "); narflow " + Narflow.VERSION + " reads data format " + FORMAT_VERSION
          + " only: use that narflow, or a new --data directory");
    }
    return madeBy;
  }

  /** Written whole or not at all (temporary file, fsync, rename), before anything else goes in. */
  private static void writeVersion(Path root, Path versionFile, String madeBy) throws DataDirException {
    Path tmp = root.resolve(VERSION_FILE + ".tmp");
    try {
      byte[] text = (FORMAT_VERSION + "\n" + madeBy + "\n").getBytes(StandardCharsets.UTF_8);
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(java.nio.ByteBuffer.wrap(text));
        out.force(true);
      }
      Files.move(tmp, versionFile, StandardCopyOption.ATOMIC_MOVE);
      try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
        dir.force(true); // the rename itself survives a crash
      }
    } catch (IOException e) {
      throw new DataDirException("cannot write to " + root + ": " + reason(e), e);
    }
  }

  /** Empty, or holding only our own half-written version file from an interrupted first use. */
  private static boolean isEmpty(Path root) throws DataDirException {
    try (Stream<Path> entries = Files.list(root)) {
      return entries.allMatch(p -> p.getFileName().toString().equals(VERSION_FILE + ".tmp"));
    } catch (IOException e) {
      throw new DataDirException("cannot read " + root + ": " + reason(e), e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) return "permission denied";
    if (e instanceof NoSuchFileException) return "no such file or directory";
    if (e instanceof FileAlreadyExistsException f) return f.getFile() + " exists and is not a directory";
    if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason();
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * Takes the directory for this process, whatever the Kafka: two narflow processes on one DIR
   * would share its state stores and its workers' transactional id, and fence each other. Held
   * until closed (or the process ends: the kernel drops the lock of a killed process).
   *
   * @throws DirectoryInUseException when another process, or another holder in this one, has it
   */
  public Lock lock() throws IOException {
    return lock(root);
  }

  /** Removes {@code root} and everything under it, if it exists (a command's scratch state). */
  public static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) return;
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  /**
   * Takes any directory for this process as {@link #lock()} does: a service's state directory,
   * which two processes must not share either (created if missing).
   */
  public static Lock lock(Path root) throws IOException {
    Files.createDirectories(root);
    FileChannel channel = FileChannel.open(root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held elsewhere in this JVM
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new DirectoryInUseException(root);
    }
    return new Lock(channel, lock);
  }

  /** The hold on a data directory; see {@link #lock}. */
  public static final class Lock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private Lock(FileChannel channel, FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() throws IOException {
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }

  public Path root() {
    return root;
  }

  /** The embedded broker's log ({@link EmbeddedKafka#start}). */
  public Path kafka() {
    return root.resolve("kafka");
  }

  /** The default chunk store, a local directory. */
  public Path chunks() {
    return root.resolve("chunks");
  }

  /** The indexer's state stores. */
  public Path state() {
    return root.resolve("state");
  }

  /** The narflow recorded as having made the directory, e.g. {@code narflow 0.1.0}. */
  public String madeBy() {
    return madeBy;
  }

  /** Whether this {@link #open} made the directory (its first use). */
  public boolean created() {
    return created;
  }

  @Override
  public String toString() {
    return root.toString();
  }
}

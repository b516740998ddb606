package dev.narflow.topics.nix;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.StringJoiner;
import java.util.TreeSet;

/**
 * A {@code .narinfo} file: what a binary cache says about one store path. Parsing and
 * serialisation follow Nix's {@code nar-info.cc} (2.8). Immutable; build one with
 * {@link #builder()}.
 *
 * <p>Repeated fields are handled as Nix handles them: for StorePath, URL, Compression, FileHash,
 * FileSize, NarHash, NarSize, Deriver and System the last line wins; every Sig line adds a
 * signature (identical ones collapse, they are a set); a second non-empty References line after
 * a non-empty one, and a second CA line after a non-empty one, are errors. {@code Deriver:
 * unknown-deriver} means no deriver. Unknown keys are ignored. A missing or empty Compression
 * means {@code bzip2}.
 *
 * <p>Stricter than Nix where Nix would silently misread: every line must be {@code Key: value}
 * with exactly ": " after the key (Nix skips two characters blindly), and sizes must be plain
 * decimal numbers.
 */
public final class NarInfo {
  /** Cap for {@link #read}: real narinfos are a few kilobytes, even with thousands of references. */
  public static final int MAX_SIZE = 1 << 20;
  public static final String DEFAULT_COMPRESSION = "bzip2";

  private final StorePath storePath;
  private final String url;
  private final String compression;
  private final NixHash fileHash;
  private final long fileSize;
  private final NixHash narHash;
  private final long narSize;
  private final SortedSet<StorePath> references;
  private final StorePath deriver;
  private final String system;
  private final SortedSet<String> signatures;
  private final String ca;

  private NarInfo(Builder b) {
    this.storePath = b.storePath;
    this.url = b.url;
    this.compression = b.compression == null || b.compression.isEmpty() ? DEFAULT_COMPRESSION : b.compression;
    this.fileHash = b.fileHash;
    this.fileSize = b.fileSize;
    this.narHash = b.narHash;
    this.narSize = b.narSize;
    this.references = Collections.unmodifiableSortedSet(new TreeSet<>(b.references));
    this.deriver = b.deriver;
    this.system = b.system == null ? "" : b.system;
    this.signatures = Collections.unmodifiableSortedSet(new TreeSet<>(b.signatures));
    this.ca = b.ca;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.storePath = storePath;
    b.url = url;
    b.compression = compression;
    b.fileHash = fileHash;
    b.fileSize = fileSize;
    b.narHash = narHash;
    b.narSize = narSize;
    b.references.addAll(references);
    b.deriver = deriver;
    b.system = system;
    b.signatures.addAll(signatures);
    b.ca = ca;
    return b;
  }

  // ---- parsing

  /** Parses narinfo text whose StorePath is in {@code /nix/store}. */
  public static NarInfo parse(String text) {
    return parse(text, StoreDir.DEFAULT);
  }

  /**
   * Parses narinfo text. Errors name the line (1-based) and the reason, e.g. {@code line 3:
   * invalid NarSize '12x'}.
   */
  public static NarInfo parse(String text, StoreDir storeDir) {
    Builder b = new Builder();
    boolean haveStorePath = false;
    boolean haveNarHash = false;
    int line = 1;
    int pos = 0;
    while (pos < text.length()) {
      int eol = text.indexOf('\n', pos);
      if (eol < 0) throw corrupt(line, "line does not end in '\\n'");
      String l = text.substring(pos, eol);
      int colon = l.indexOf(':');
      if (colon < 0) throw corrupt(line, "expected 'Key: value', found no ':' in '" + l + "'");
      if (colon + 1 >= l.length() || l.charAt(colon + 1) != ' ') {
        throw corrupt(line, "expected ': ' after key '" + l.substring(0, colon) + "'");
      }
      String key = l.substring(0, colon);
      String value = l.substring(colon + 2);
      try {
        switch (key) {
          case "StorePath" -> {
            b.storePath = storeDir.parsePath(value);
            haveStorePath = true;
          }
          case "URL" -> b.url = value;
          case "Compression" -> b.compression = value;
          case "FileHash" -> b.fileHash = NixHash.parse(value);
          case "FileSize" -> b.fileSize = parseSize("FileSize", value);
          case "NarHash" -> {
            b.narHash = NixHash.parse(value);
            haveNarHash = true;
          }
          case "NarSize" -> b.narSize = parseSize("NarSize", value);
          case "References" -> {
            if (!b.references.isEmpty()) throw new NixFormatException("extra References line");
            for (String ref : value.split(" ")) {
              if (!ref.isEmpty()) b.references.add(StorePath.parseBaseName(ref));
            }
          }
          case "Deriver" -> {
            if (!value.equals("unknown-deriver")) b.deriver = StorePath.parseBaseName(value);
          }
          case "System" -> b.system = value;
          case "Sig" -> b.signatures.add(value);
          case "CA" -> {
            if (b.ca != null) throw new NixFormatException("extra CA line");
            b.ca = value.isEmpty() ? null : canonicalContentAddress(value);
          }
          default -> { } // unknown keys are ignored, as Nix does
        }
      } catch (NixFormatException e) {
        throw corrupt(line, e.getMessage());
      }
      pos = eol + 1;
      line++;
    }
    String missing = !haveStorePath ? "StorePath missing"
        : !haveNarHash ? "NarHash missing"
        : b.url == null || b.url.isEmpty() ? "URL missing"
        : b.narSize == 0 ? "NarSize missing or zero"
        : null;
    if (missing != null) throw new NixFormatException("narinfo is corrupt: " + missing);
    return new NarInfo(b);
  }

  /** Reads a narinfo of at most {@link #MAX_SIZE} bytes of UTF-8 from {@code in}. */
  public static NarInfo read(InputStream in, StoreDir storeDir) throws IOException {
    byte[] bytes = in.readNBytes(MAX_SIZE + 1);
    if (bytes.length > MAX_SIZE) {
      throw new NixFormatException("narinfo is larger than " + MAX_SIZE + " bytes");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new NixFormatException("narinfo is not valid UTF-8: " + e.getMessage(), e);
    }
    return parse(text, storeDir);
  }

  private static NixFormatException corrupt(int line, String reason) {
    return new NixFormatException("narinfo is corrupt at line " + line + ": " + reason);
  }

  private static long parseSize(String field, String value) {
    boolean digits = !value.isEmpty() && value.length() <= 19;
    for (int i = 0; digits && i < value.length(); i++) {
      char c = value.charAt(i);
      digits = c >= '0' && c <= '9';
    }
    if (!digits) throw new NixFormatException("invalid " + field + " '" + value + "'");
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) { // 19 digits can exceed 2^63-1
      throw new NixFormatException("invalid " + field + " '" + value + "' (larger than 2^63-1)");
    }
  }

  /**
   * Validates a content address ({@code text:sha256:<hash>}, {@code fixed:[r:]<algo>:<hash>}) and
   * renders it as Nix does, with the hash in nixbase32.
   */
  static String canonicalContentAddress(String ca) {
    String method;
    String rest;
    if (ca.startsWith("text:")) {
      method = "text:";
      rest = ca.substring(5);
    } else if (ca.startsWith("fixed:r:")) {
      method = "fixed:r:";
      rest = ca.substring(8);
    } else if (ca.startsWith("fixed:")) {
      method = "fixed:";
      rest = ca.substring(6);
    } else {
      throw new NixFormatException("content address '" + ca + "' does not start with 'text:' or 'fixed:'");
    }
    int colon = rest.indexOf(':');
    if (colon < 0) throw new NixFormatException("content address '" + ca + "' lacks '<algo>:<hash>'");
    HashAlgorithm algo = HashAlgorithm.ofNixName(rest.substring(0, colon));
    if (method.equals("text:") && algo != HashAlgorithm.SHA256) {
      throw new NixFormatException("text content address '" + ca + "' must use sha256");
    }
    NixHash hash = NixHash.parseBare(rest.substring(colon + 1), algo);
    return method + hash;
  }

  // ---- serialising

  /** The narinfo text, fields in Nix's order, each line ending in {@code \n}; StorePath in /nix/store. */
  public String format() {
    return format(StoreDir.DEFAULT);
  }

  /**
   * The narinfo text as Nix writes it. FileHash is written when known, FileSize when FileHash is
   * known or the size is non-zero (Nix always has both; other caches may lack them).
   */
  public String format(StoreDir storeDir) {
    StringBuilder s = new StringBuilder(512);
    s.append("StorePath: ").append(storeDir.print(storePath)).append('\n');
    s.append("URL: ").append(url).append('\n');
    s.append("Compression: ").append(compression).append('\n');
    if (fileHash != null) s.append("FileHash: ").append(fileHash).append('\n');
    if (fileHash != null || fileSize != 0) s.append("FileSize: ").append(fileSize).append('\n');
    s.append("NarHash: ").append(narHash).append('\n');
    s.append("NarSize: ").append(narSize).append('\n');
    s.append("References: ");
    StringJoiner refs = new StringJoiner(" ");
    for (StorePath r : references) refs.add(r.baseName());
    s.append(refs).append('\n');
    if (deriver != null) s.append("Deriver: ").append(deriver.baseName()).append('\n');
    if (!system.isEmpty()) s.append("System: ").append(system).append('\n');
    for (String sig : signatures) s.append("Sig: ").append(sig).append('\n');
    if (ca != null) s.append("CA: ").append(ca).append('\n');
    return s.toString();
  }

  /** Same as {@link #format()}. */
  @Override
  public String toString() {
    return format();
  }

  // ---- signatures

  /** The text cache keys sign, with paths in {@code /nix/store}. */
  public String fingerprint() {
    return fingerprint(StoreDir.DEFAULT);
  }

  /**
   * {@code 1;<store path>;<NarHash as algo:nixbase32>;<NarSize>;<full reference paths, sorted,
   * comma-joined>}, as Nix's {@code ValidPathInfo::fingerprint}.
   */
  public String fingerprint(StoreDir storeDir) {
    StringJoiner refs = new StringJoiner(",");
    for (StorePath r : references) refs.add(storeDir.print(r));
    return "1;" + storeDir.print(storePath) + ";" + narHash + ";" + narSize + ";" + refs;
  }

  /** A copy with {@code signature} added (signatures are a set, so adding one twice is a no-op). */
  public NarInfo withSignature(NarSignature signature) {
    Builder b = toBuilder();
    b.signatures.add(signature.toString());
    return b.build();
  }

  // ---- fields

  public StorePath storePath() {
    return storePath;
  }

  public String url() {
    return url;
  }

  /** Compression of the file at {@link #url()}: {@code none}, {@code xz}, {@code zstd}, {@code bzip2}, … */
  public String compression() {
    return compression;
  }

  /** Hash of the (compressed) file at {@link #url()}, or null when the cache does not say. */
  public NixHash fileHash() {
    return fileHash;
  }

  /** Size of the file at {@link #url()}, 0 when unknown (as in Nix). */
  public long fileSize() {
    return fileSize;
  }

  public NixHash narHash() {
    return narHash;
  }

  public long narSize() {
    return narSize;
  }

  /** The store paths this one references, sorted by base name. */
  public SortedSet<StorePath> references() {
    return references;
  }

  /** The derivation that built this path, or null. */
  public StorePath deriver() {
    return deriver;
  }

  /** The System field, empty when absent (Nix 2.8 never writes it). */
  public String system() {
    return system;
  }

  /** The Sig values as written ({@code <key name>:<base64>}), sorted and unvalidated, as Nix keeps them. */
  public SortedSet<String> signatures() {
    return signatures;
  }

  /** The content address ({@code fixed:r:sha256:…}), or null. */
  public String ca() {
    return ca;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NarInfo other
        && storePath.equals(other.storePath) && url.equals(other.url)
        && compression.equals(other.compression) && Objects.equals(fileHash, other.fileHash)
        && fileSize == other.fileSize && narHash.equals(other.narHash) && narSize == other.narSize
        && references.equals(other.references) && Objects.equals(deriver, other.deriver)
        && system.equals(other.system) && signatures.equals(other.signatures)
        && Objects.equals(ca, other.ca);
  }

  @Override
  public int hashCode() {
    return Objects.hash(storePath, url, narHash, narSize, references, signatures);
  }

  /** Assembles a {@link NarInfo}; {@link #build()} checks the fields Nix requires. */
  public static final class Builder {
    private StorePath storePath;
    private String url;
    private String compression;
    private NixHash fileHash;
    private long fileSize;
    private NixHash narHash;
    private long narSize;
    private final SortedSet<StorePath> references = new TreeSet<>();
    private StorePath deriver;
    private String system;
    private final SortedSet<String> signatures = new TreeSet<>();
    private String ca;

    private Builder() {}

    public Builder storePath(StorePath storePath) {
      this.storePath = storePath;
      return this;
    }

    public Builder url(String url) {
      this.url = url;
      return this;
    }

    /** Null or empty means {@code bzip2}, as in Nix. */
    public Builder compression(String compression) {
      this.compression = compression;
      return this;
    }

    public Builder fileHash(NixHash fileHash) {
      this.fileHash = fileHash;
      return this;
    }

    public Builder fileSize(long fileSize) {
      if (fileSize < 0) throw new IllegalArgumentException("negative FileSize " + fileSize);
      this.fileSize = fileSize;
      return this;
    }

    public Builder narHash(NixHash narHash) {
      this.narHash = narHash;
      return this;
    }

    public Builder narSize(long narSize) {
      if (narSize < 0) throw new IllegalArgumentException("negative NarSize " + narSize);
      this.narSize = narSize;
      return this;
    }

    public Builder references(Collection<StorePath> references) {
      this.references.clear();
      this.references.addAll(references);
      return this;
    }

    public Builder addReference(StorePath reference) {
      this.references.add(Objects.requireNonNull(reference));
      return this;
    }

    public Builder deriver(StorePath deriver) {
      this.deriver = deriver;
      return this;
    }

    public Builder system(String system) {
      this.system = system;
      return this;
    }

    public Builder signatures(Collection<String> signatures) {
      this.signatures.clear();
      this.signatures.addAll(signatures);
      return this;
    }

    public Builder addSignature(NarSignature signature) {
      this.signatures.add(signature.toString());
      return this;
    }

    /** A content address; validated and rendered with a nixbase32 hash, as Nix does. */
    public Builder ca(String ca) {
      this.ca = ca == null || ca.isEmpty() ? null : canonicalContentAddress(ca);
      return this;
    }

    public NarInfo build() {
      if (storePath == null) throw new IllegalStateException("narinfo needs a StorePath");
      if (url == null || url.isEmpty()) throw new IllegalStateException("narinfo needs a URL");
      if (narHash == null) throw new IllegalStateException("narinfo needs a NarHash");
      if (narSize <= 0) throw new IllegalStateException("narinfo needs a positive NarSize");
      for (String v : new String[] {url, compression, system}) {
        if (v != null && v.indexOf('\n') >= 0) {
          throw new IllegalArgumentException("narinfo value must not contain a newline: '" + v + "'");
        }
      }
      for (String sig : signatures) {
        if (sig.indexOf('\n') >= 0) throw new IllegalArgumentException("Sig must not contain a newline: '" + sig + "'");
      }
      return new NarInfo(this);
    }
  }
}

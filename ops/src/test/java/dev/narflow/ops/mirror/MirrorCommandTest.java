package dev.narflow.ops.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.chunker.store.S3Config;
import dev.narflow.ops.ChunkStoreLocation;
import dev.narflow.ops.Narflow;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.EmbeddedKafka;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.StorePath;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;
import picocli.CommandLine;

public class MirrorCommandTest {
  private static final String HASH = "0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy";
  private static final String HELLO = "/nix/store/" + HASH + "-hello-2.12";
  private static final String GLIBC_BASE = "9mfkjxsckrz2iqchzpbj0m7aq8zv6sdj-glibc-2.40";
  private static final String GLIBC = "/nix/store/" + GLIBC_BASE;
  /** Valid ed25519 points (real caches' keys) under other names. */
  private static final String KEY_A = "test-cache-1:mB9FSh9qf2dCimDSUo8Zy7bkq5CX+/rkCWyvRCYg3Fs=";
  private static final String KEY_B = "other-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";
  private static final MirrorRun MUST_NOT_RUN = (o, e) -> {
    throw new AssertionError("the run must not start");
  };

  @TempDir Path tmp;

  public record Run(int exit, String out, String err) {
    public List<String> errLines() {
      return err.lines().toList();
    }
  }

  public static Run execute(Map<String, String> env, MirrorRun run, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Narflow.commandLine(env, run);
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(Stream.concat(Stream.of("mirror"), Stream.of(args)).toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  /** Parses and validates without running anything. */
  static MirrorOptions parse(Map<String, String> env, String... args) {
    CommandLine cli = Narflow.commandLine(env, MUST_NOT_RUN);
    CommandLine.ParseResult parsed = cli.parseArgs(Stream.concat(Stream.of("mirror"), Stream.of(args)).toArray(String[]::new));
    MirrorCommand command = parsed.subcommand().commandSpec().commandLine().getCommand();
    return command.options();
  }

  private String data() {
    return tmp.resolve("data").toString();
  }

  @Test
  void defaultsFollowTheDesign() {
    MirrorOptions o = parse(Map.of(), "--data", data(), HELLO);
    assertEquals(tmp.resolve("data"), o.dataDir());
    assertEquals(List.of(URI.create("https://cache.nixos.org")), o.upstreams());
    assertEquals(List.of(NixPublicKey.parse(MirrorCommand.DEFAULT_TRUSTED_KEY)), List.copyOf(o.trustedKeys().keys()));
    assertTrue(o.checkSignatures());
    assertTrue(o.closure());
    assertEquals(MirrorCommand.DEFAULT_WORKERS, o.workers());
    assertEquals(Optional.empty(), o.chunkStore());
    assertTrue(o.embeddedKafka());
    assertEquals("", o.topicPrefix());
    assertEquals(List.of(StorePath.parse(HELLO)), o.paths());
    assertFalse(o.terminal(), "no console in a test: log lines");
  }

  @Test
  void everyOptionOnTheCommandLine() {
    MirrorOptions o = parse(Map.of(),
        "--data", data(), "--upstream", "http://127.0.0.1:8080/", "--upstream", "https://mirror.example/nix",
        "--trusted-public-key", KEY_A, "--trusted-public-key", KEY_B, "--no-check-sigs", "--no-closure",
        "--workers", "4", "--chunk-store", "file:///srv/chunks", "--bootstrap-servers", "k1:9092, k2:9093",
        "--topic-prefix", "team-a.", "--progress", "line", GLIBC_BASE, HELLO);
    assertEquals(List.of(URI.create("http://127.0.0.1:8080"), URI.create("https://mirror.example/nix")), o.upstreams());
    assertEquals(Set.of("test-cache-1", "other-1"),
        o.trustedKeys().keys().stream().map(NixPublicKey::name).collect(Collectors.toSet()));
    assertFalse(o.checkSignatures());
    assertFalse(o.closure());
    assertEquals(4, o.workers());
    assertEquals(Optional.of(new ChunkStoreLocation.Local(Path.of("/srv/chunks"))), o.chunkStore());
    assertEquals(Optional.of("k1:9092,k2:9093"), o.bootstrapServers());
    assertFalse(o.embeddedKafka());
    assertEquals("team-a.", o.topicPrefix());
    assertEquals(List.of(StorePath.parse(GLIBC), StorePath.parse(HELLO)), o.paths(), "base names and full paths, in order");
    assertTrue(o.terminal());
  }

  @Test
  void everyOptionFromItsEnvironmentVariable() throws IOException {
    Path list = Files.writeString(tmp.resolve("paths.txt"), HELLO + "\n");
    Map<String, String> env = new HashMap<>();
    env.put("NARFLOW_DATA", data());
    env.put("NARFLOW_UPSTREAM", "http://a.example, http://b.example http://c.example");
    env.put("NARFLOW_TRUSTED_PUBLIC_KEY", KEY_A + " " + KEY_B);
    env.put("NARFLOW_NO_CHECK_SIGS", "1");
    env.put("NARFLOW_NO_CLOSURE", "yes");
    env.put("NARFLOW_WORKERS", "3");
    env.put("NARFLOW_CHUNK_STORE", "s3://narflow-chunks/mirror/a?endpoint=http://127.0.0.1:9000&region=eu-west-1");
    env.put("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
    env.put("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI");
    env.put("NARFLOW_BOOTSTRAP_SERVERS", "kafka:9092");
    env.put("NARFLOW_TOPIC_PREFIX", "p.");
    env.put("NARFLOW_PATHS_FROM", list.toString());
    env.put("NARFLOW_PROGRESS", "log");
    MirrorOptions o = parse(env);
    assertEquals(tmp.resolve("data"), o.dataDir());
    assertEquals(List.of(URI.create("http://a.example"), URI.create("http://b.example"), URI.create("http://c.example")),
        o.upstreams());
    assertEquals(2, o.trustedKeys().keys().size());
    assertFalse(o.checkSignatures());
    assertFalse(o.closure());
    assertEquals(3, o.workers());
    assertEquals(Optional.of(new ChunkStoreLocation.S3(new S3Config(URI.create("http://127.0.0.1:9000"), "eu-west-1",
        "narflow-chunks", "AKIDEXAMPLE", "wJalrXUtnFEMI", "mirror/a", false))), o.chunkStore());
    assertEquals(Optional.of("kafka:9092"), o.bootstrapServers());
    assertEquals("p.", o.topicPrefix());
    assertEquals(List.of(StorePath.parse(HELLO)), o.paths());
    assertFalse(o.terminal());
  }

  @Test
  void theCommandLineWinsOverTheEnvironment() {
    Map<String, String> env = Map.of("NARFLOW_WORKERS", "3", "NARFLOW_UPSTREAM", "http://env.example",
        "NARFLOW_DATA", "/nonexistent/env-data", "NARFLOW_NO_CLOSURE", "false");
    MirrorOptions o = parse(env, "--workers", "5", "--upstream", "http://cli.example", "--data", data(), HELLO);
    assertEquals(5, o.workers());
    assertEquals(List.of(URI.create("http://cli.example")), o.upstreams(), "replaces, does not add to, the variable's list");
    assertEquals(tmp.resolve("data"), o.dataDir());
    assertTrue(o.closure(), "NARFLOW_NO_CLOSURE=false");
  }

  @Test
  void everyOptionFromAConfigFile() throws IOException {
    Path list = Files.writeString(tmp.resolve("paths.txt"), HELLO + "\n");
    Path config = Files.writeString(tmp.resolve("narflow.conf"), String.join("\n",
        "# every mirror option, as on the command line without --",
        "data = " + data(),
        "upstream = http://a.example, http://b.example",
        "  trusted-public-key =   " + KEY_A + " " + KEY_B + "  ",
        "no-check-sigs = true",
        "--no-closure = yes",
        "",
        "workers = 3",
        "chunk-store = file:///srv/chunks",
        "bootstrap-servers = kafka:9092",
        "topic-prefix = p.",
        "paths-from = " + list,
        "progress = line",
        "chunk-size = 1M   ", // inspect's: a shared file may hold it, mirror ignores it
        ""));
    MirrorOptions o = parse(Map.of(), "--config", config.toString());
    assertEquals(tmp.resolve("data"), o.dataDir());
    assertEquals(List.of(URI.create("http://a.example"), URI.create("http://b.example")), o.upstreams());
    assertEquals(2, o.trustedKeys().keys().size());
    assertFalse(o.checkSignatures());
    assertFalse(o.closure());
    assertEquals(3, o.workers());
    assertEquals(Optional.of(new ChunkStoreLocation.Local(Path.of("/srv/chunks"))), o.chunkStore());
    assertEquals(Optional.of("kafka:9092"), o.bootstrapServers());
    assertEquals("p.", o.topicPrefix());
    assertEquals(List.of(StorePath.parse(HELLO)), o.paths());
    assertTrue(o.terminal());

    MirrorOptions viaVariable = parse(Map.of("NARFLOW_CONFIG", config.toString()));
    assertEquals(3, viaVariable.workers(), "NARFLOW_CONFIG names the file too");
  }

  @Test
  void theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() throws IOException {
    Path config = Files.writeString(tmp.resolve("narflow.conf"),
        "workers = 3\nprogress = line\ntopic-prefix = file.\ndata = " + data() + "\n");
    MirrorOptions o = parse(Map.of("NARFLOW_WORKERS", "4", "NARFLOW_TOPIC_PREFIX", "env."),
        "--config", config.toString(), "--topic-prefix", "cli.", HELLO);
    assertEquals("cli.", o.topicPrefix());
    assertEquals(4, o.workers());
    assertTrue(o.terminal(), "from the file");
    assertEquals(tmp.resolve("data"), o.dataDir());
  }

  @Test
  void badConfigFilesAreExit2NamingTheFileAndLine() throws IOException {
    Path missing = tmp.resolve("missing.conf");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", missing.toString(), HELLO),
        "--config: cannot read " + missing + ": no such file");
    assertUsageError(execute(Map.of("NARFLOW_CONFIG", missing.toString()), MUST_NOT_RUN, "--data", data(), HELLO),
        "--config: cannot read " + missing + ": no such file");
    Path conf = tmp.resolve("narflow.conf");
    Files.writeString(conf, "# fine\nworkers 3\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "--config: " + conf + ":2: expected 'option = value', found 'workers 3'");
    Files.writeString(conf, "wokrers = 3\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "--config: " + conf + ":1: no narflow command has an option --wokrers");
    Files.writeString(conf, "config = other.conf\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "--config: " + conf + ":1: no narflow command has an option --config (a configuration file cannot name another)");
    Files.writeString(conf, "upstream = http://a.example\nupstream = http://b.example\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "--config: " + conf + ":2: upstream is already set on line 1");
    Files.writeString(conf, "data = " + data() + "\n\nworkers = many\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "invalid workers = many in " + conf + ":3 (--workers): 'many' is not an int");
    Files.writeString(conf, "data = " + data() + "\nworkers = 0\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "invalid --workers 0 (from " + conf + ":2): must be between 1 and 1024");
    Files.writeString(conf, "data = " + data() + "\nno-closure = maybe\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--config", conf.toString(), HELLO),
        "invalid no-closure = maybe in " + conf + ":2 (--no-closure): ");
  }

  @Test
  void pathsFromPlainAndXzFilesSkipBlankLinesAndComments() throws IOException {
    String text = "# nixpkgs store-paths\n\n" + HELLO + "\n   \n  " + GLIBC + "  \n# end\n" + HELLO + "\n";
    Path plain = Files.writeString(tmp.resolve("store-paths"), text);
    Path xz = tmp.resolve("store-paths.xz");
    try (OutputStream out = new XZOutputStream(Files.newOutputStream(xz), new LZMA2Options())) {
      out.write(("# another\n" + "/nix/store/" + "1".repeat(32) + "-zlib-1.3\n").getBytes(StandardCharsets.UTF_8));
    }
    Path xzWithoutExtension = Files.copy(xz, tmp.resolve("by-magic-bytes"));
    MirrorOptions o = parse(Map.of(), "--data", data(), "--paths-from", plain.toString(), "--paths-from", xz.toString(),
        "--paths-from", xzWithoutExtension.toString(), GLIBC_BASE);
    assertEquals(List.of(StorePath.parse(GLIBC), StorePath.parse(HELLO), StorePath.parse("1".repeat(32) + "-zlib-1.3")),
        o.paths(), "arguments first, then each file in order, every path once");
  }

  static Stream<List<String>> usageErrors() {
    String data = "/tmp/narflow-mirror-test-never-created";
    return Stream.of(
        List.of(HELLO, "no --data: --data DIR is required (or NARFLOW_DATA): the directory that holds the mirror's state"),
        List.of("--data", data, "no store path given: name STORE_PATHs, or --paths-from FILE"),
        List.of("--data", data, "/nix/store/tooshort-hello", "invalid STORE_PATH: store path '/nix/store/tooshort-hello'"),
        List.of("--data", data, HELLO + "/bin/hello", "invalid STORE_PATH: path '" + HELLO + "/bin/hello' is inside a store path"),
        List.of("--data", data, "/usr/bin/hello", "invalid STORE_PATH: path '/usr/bin/hello' is not in the Nix store /nix/store"),
        List.of("--data", data, "--trusted-public-key", "cache:not-base64!", HELLO, "invalid --trusted-public-key cache:not-base64!: "),
        List.of("--data", data, "--upstream", "ftp://cache.example", HELLO, "invalid --upstream ftp://cache.example: must be an http:// or https:// URL"),
        List.of("--data", data, "--upstream", "http://", HELLO, "invalid --upstream http://: not a URL: "),
        List.of("--data", data, "--workers", "0", HELLO, "invalid --workers 0: must be between 1 and 1024"),
        List.of("--data", data, "--workers", "5000", HELLO, "invalid --workers 5000: must be between 1 and 1024"),
        List.of("--data", data, "--workers", "many", HELLO, "Invalid value for option '--workers': 'many' is not an int"),
        List.of("--data", data, "--bootstrap-servers", "localhost", HELLO, "invalid --bootstrap-servers localhost: 'localhost' is not host:port"),
        List.of("--data", data, "--bootstrap-servers", "h:99999", HELLO, "invalid --bootstrap-servers h:99999: 'h:99999' is not host:port"),
        List.of("--data", data, "--topic-prefix", "a/b", HELLO, "invalid --topic-prefix a/b: topic prefix 'a/b' may hold only"),
        List.of("--data", data, "--progress", "fancy", HELLO, "invalid --progress fancy: must be auto, line or log"),
        List.of("--data", data, "--frobnicate", HELLO, "Unknown option: '--frobnicate'"));
  }

  @ParameterizedTest
  @MethodSource("usageErrors")
  void badUsageIsExit2WithOneLine(List<String> argsAndMessage) {
    List<String> args = argsAndMessage.subList(0, argsAndMessage.size() - 1);
    String message = argsAndMessage.get(argsAndMessage.size() - 1);
    if (message.startsWith("no --data: ")) message = message.substring("no --data: ".length());
    Run r = execute(Map.of(), MUST_NOT_RUN, args.toArray(String[]::new));
    assertUsageError(r, message);
  }

  static Stream<List<String>> badChunkStores() {
    return Stream.of(
        List.of("s3://AKIA:hunter2@bucket", "credentials do not go in the URL; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        List.of("s3://bucket?endpoint=http://user:hunter2@minio:9000", "credentials do not go in the endpoint"),
        List.of("s3://Bad_Bucket/x", "'Bad_Bucket' is not a valid S3 bucket name"),
        List.of("s3:///prefix", "no bucket"),
        List.of("s3://bucket/a/../b", "has an empty, '.' or '..' segment"),
        List.of("s3://bucket/a//b", "has an empty, '.' or '..' segment"),
        List.of("s3://bucket?endpoint=http://minio:9000&acl=public", "unknown parameter 'acl' (endpoint, region)"),
        List.of("s3://bucket?region=a&region=b", "parameter region given twice"),
        List.of("s3://bucket?endpoint=", "parameter endpoint has no value"),
        List.of("s3://bucket?endpoint=ftp://minio", "must be an http:// or https:// URL"),
        List.of("s3://bucket?endpoint=http://minio:9000/bucket", "must be just scheme, host and port"),
        List.of("s3://bucket?region=../../etc", "is not a region name"),
        List.of("s3://bucket#frag", "an S3 URL takes no #fragment"),
        List.of("file://otherhost/srv/chunks", "not one on host otherhost"),
        List.of("file:relative/dir", "write a file URL as file:///absolute/path"),
        List.of("file:///", "not the file system root"),
        List.of("/srv/chunks", "no scheme: write file:///absolute/path"),
        List.of("gopher://x/y", "unsupported scheme gopher"),
        List.of("s3://bu cket", "not a URL: "));
  }

  @ParameterizedTest
  @MethodSource("badChunkStores")
  void hostileOrMalformedChunkStoreUrlsAreRefusedWithoutRepeatingThem(List<String> urlAndMessage) {
    Run r = execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--chunk-store", urlAndMessage.get(0), HELLO);
    assertUsageError(r, "invalid --chunk-store: ");
    assertTrue(r.err().contains(urlAndMessage.get(1)), r.err());
    assertFalse(r.err().contains("hunter2"), "a secret in the URL is never printed: " + r.err());
  }

  @Test
  void s3CredentialsMustComeInPairsAndEndpointDefaultsToAws() {
    Run r = execute(Map.of("AWS_ACCESS_KEY_ID", "AKID"), MUST_NOT_RUN, "--data", data(), "--chunk-store", "s3://bucket", HELLO);
    assertUsageError(r, "invalid --chunk-store: AWS_SECRET_ACCESS_KEY is not set, but AWS_ACCESS_KEY_ID is");
    MirrorOptions o = parse(Map.of(), "--data", data(), "--chunk-store", "s3://bucket/?region=eu-central-1", HELLO);
    assertEquals(Optional.of(new ChunkStoreLocation.S3(new S3Config(URI.create("https://s3.eu-central-1.amazonaws.com"),
        "eu-central-1", "bucket", null, null, "", false))), o.chunkStore(), "anonymous without credentials");
  }

  @Test
  void badValuesFromTheEnvironmentNameTheVariable() {
    assertUsageError(execute(Map.of("NARFLOW_WORKERS", "many"), MUST_NOT_RUN, "--data", data(), HELLO),
        "invalid NARFLOW_WORKERS=many (--workers): 'many' is not an int");
    assertUsageError(execute(Map.of("NARFLOW_WORKERS", "0"), MUST_NOT_RUN, "--data", data(), HELLO),
        "invalid --workers 0 (from NARFLOW_WORKERS): must be between 1 and 1024");
    assertUsageError(execute(Map.of("NARFLOW_NO_CLOSURE", "maybe"), MUST_NOT_RUN, "--data", data(), HELLO),
        "invalid NARFLOW_NO_CLOSURE=maybe (--no-closure): ");
    assertUsageError(execute(Map.of("NARFLOW_UPSTREAM", "http://ok.example ftp://bad.example"), MUST_NOT_RUN,
        "--data", data(), HELLO), "invalid --upstream ftp://bad.example (from NARFLOW_UPSTREAM): must be an http:// or https:// URL");
    assertUsageError(execute(Map.of("NARFLOW_CHUNK_STORE", "s3://x"), MUST_NOT_RUN, "--data", data(), HELLO),
        "invalid --chunk-store (from NARFLOW_CHUNK_STORE): 'x' is not a valid S3 bucket name");
    assertUsageError(execute(Map.of("NARFLOW_PATHS_FROM", tmp.resolve("missing").toString()), MUST_NOT_RUN, "--data", data()),
        "--paths-from (from NARFLOW_PATHS_FROM): cannot read " + tmp.resolve("missing") + ": no such file");
  }

  @Test
  void unreadablePathListsAreExit2NamingTheFile() throws IOException {
    Path missing = tmp.resolve("missing.txt");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", missing.toString()),
        "--paths-from: cannot read " + missing + ": no such file");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", tmp.toString()),
        "--paths-from: cannot read " + tmp + ": it is a directory");

    Path bad = Files.writeString(tmp.resolve("bad.txt"), "# ok\n" + HELLO + "\nnot-a-store-path\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", bad.toString()),
        "--paths-from: " + bad + ":3: store path base name 'not-a-store-path' is too short");

    Path xz = tmp.resolve("truncated.xz");
    try (OutputStream out = new XZOutputStream(Files.newOutputStream(xz), new LZMA2Options())) {
      for (int i = 0; i < 200; i++) out.write((HELLO + "\n").getBytes(StandardCharsets.UTF_8));
    }
    byte[] whole = Files.readAllBytes(xz);
    Files.write(xz, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", xz.toString()),
        "--paths-from: " + xz + ": xz data is truncated");

    Path latin1 = Files.write(tmp.resolve("latin1.txt"), new byte[] {'#', ' ', (byte) 0xE9, '\n'});
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", latin1.toString()),
        "--paths-from: " + latin1 + ":1: not UTF-8 text");

    Path comments = Files.writeString(tmp.resolve("comments.txt"), "# nothing\n\n");
    assertUsageError(execute(Map.of(), MUST_NOT_RUN, "--data", data(), "--paths-from", comments.toString()),
        "no store path given: name STORE_PATHs, or --paths-from FILE (the files hold none)");
  }

  @Test
  void aDataDirectoryMadeByAnIncompatibleVersionIsExit2() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("old"));
    Files.writeString(dir.resolve(DataDir.VERSION_FILE), "7\nnarflow 7.0\n");
    Run r = execute(Map.of(), MUST_NOT_RUN, "--data", dir.toString(), HELLO);
    assertEquals(2, r.exit(), r.err());
    assertEquals(List.of("narflow mirror: " + dir + " was made by narflow 7.0 (data format 7); narflow "
        + Narflow.VERSION + " reads data format 1 only: use that narflow, or a new --data directory"), r.errLines());
  }

  @Test
  void helpNamesEveryOptionAndItsVariable() {
    Run r = execute(Map.of(), MUST_NOT_RUN, "--help");
    assertEquals(0, r.exit());
    for (String option : List.of("--config", "--data", "--upstream", "--trusted-public-key", "--no-check-sigs", "--no-closure",
        "--workers", "--chunk-store", "--bootstrap-servers", "--topic-prefix", "--paths-from", "--progress")) {
      assertTrue(r.out().contains(option), option + " in\n" + r.out());
      assertTrue(r.out().replaceAll("\\s+", " ").contains(dev.narflow.ops.OptionDefaults.variableOf(option)),
          "variable of " + option + " in\n" + r.out());
    }
    assertTrue(r.out().replaceAll("\\s+", "").contains(MirrorCommand.DEFAULT_TRUSTED_KEY), r.out());
  }

  @Test
  void aRealRunStartsTheEmbeddedBrokerCreatesTheTopicsAndHandsOver() throws Exception {
    AtomicReference<MirrorOptions> seenOptions = new AtomicReference<>();
    List<String> topicsSeen = new ArrayList<>();
    AtomicReference<String> chunkStoreSeen = new AtomicReference<>();
    MirrorRun recording = (options, env) -> {
      seenOptions.set(options);
      assertEquals(options.dataDir().toAbsolutePath(), env.dataDir().root());
      chunkStoreSeen.set(env.chunkStore().toString());
      EmbeddedKafka kafka = env.embeddedKafka().orElseThrow();
      assertEquals(kafka.bootstrapServers(), env.kafkaConfig().get("bootstrap.servers"));
      try (Admin admin = Admin.create(env.kafkaConfig())) {
        topicsSeen.addAll(admin.listTopics().names().get());
      }
      env.progress().failed(new FailedPath(HELLO, dev.narflow.topics.v1.FetchFailure.Reason.NOT_FOUND, 404, ""));
      return 1;
    };
    Run r = execute(Map.of(), recording, "--data", data(), "--topic-prefix", "t.", HELLO);
    assertEquals(1, r.exit(), r.err());
    assertEquals(List.of(StorePath.parse(HELLO)), seenOptions.get().paths());
    assertEquals(tmp.resolve("data/chunks").toUri().toString(), chunkStoreSeen.get(), "chunks go to DIR/chunks by default");
    assertTrue(topicsSeen.containsAll(NarflowTopics.withPrefix("t.").stream().map(t -> t.name()).toList()), topicsSeen.toString());
    List<String> lines = r.errLines();
    assertTrue(lines.get(0).startsWith("embedded Kafka formatted and started in "), r.err());
    assertTrue(lines.contains("failed " + HELLO + ": NOT_FOUND (upstream status 404)"), r.err());

    // Until the run is wired in: the broker starts again on the same DIR (no format), then exit 2.
    Run unwired = execute(Map.of(), MirrorRun.NOT_WIRED, "--data", data(), HELLO);
    assertEquals(2, unwired.exit(), unwired.err());
    assertTrue(unwired.errLines().get(0).startsWith("embedded Kafka started in "), unwired.err());
    assertEquals("narflow mirror: not wired yet", unwired.errLines().get(unwired.errLines().size() - 1));
  }

  @Test
  void anUnreachableKafkaIsExit2WithOneLine() throws IOException {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Narflow.commandLine(Map.of(), MUST_NOT_RUN);
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    MirrorCommand command = cli.getSubcommands().get("mirror").getCommand();
    command.adminTimeout = java.time.Duration.ofSeconds(3);
    int exit = cli.execute("mirror", "--data", data(), "--bootstrap-servers", "127.0.0.1:" + closedPort, HELLO);
    assertEquals(2, exit, err.toString());
    List<String> lines = err.toString().lines().toList();
    assertEquals(1, lines.size(), err.toString());
    assertTrue(lines.get(0).startsWith("narflow mirror: Kafka at 127.0.0.1:" + closedPort + ": "), lines.get(0));
    assertFalse(Files.exists(tmp.resolve("data/kafka/meta.properties")), "no embedded broker with --bootstrap-servers");
  }

  @Test
  void aSecondProcessOnTheSameDataDirectoryIsRefused() throws Exception {
    Path dir = tmp.resolve("shared");
    DataDir data = DataDir.open(dir);
    try (EmbeddedKafka running = EmbeddedKafka.start(data.kafka())) {
      ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), Narflow.class.getName(), "mirror", "--data", dir.toString(), HELLO)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD);
      child.environment().keySet().removeIf(k -> k.startsWith("NARFLOW_"));
      Process p = child.start();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(120, TimeUnit.SECONDS));
      assertEquals(2, p.exitValue(), err);
      assertEquals(List.of("narflow mirror: " + dir + " is in use by another narflow process"),
          err.lines().filter(l -> !l.startsWith("WARNING")).toList());
    }
  }

  @Test
  void theDataDirectoryIsTakenWithAnExternalKafkaToo() throws Exception {
    Path dir = tmp.resolve("external");
    try (DataDir.Lock held = DataDir.open(dir).lock()) {
      // Refused before any contact with Kafka: the port is never asked.
      Run r = execute(Map.of(), MUST_NOT_RUN, "--data", dir.toString(), "--bootstrap-servers", "127.0.0.1:1", HELLO);
      assertEquals(2, r.exit(), r.err());
      assertEquals(List.of("narflow mirror: " + dir + " is in use by another narflow process"), r.errLines());
    }
    Run afterwards = execute(Map.of(), MirrorRun.NOT_WIRED, "--data", dir.toString(), HELLO);
    assertEquals("narflow mirror: not wired yet", afterwards.errLines().get(afterwards.errLines().size() - 1),
        "released: " + afterwards.err());
  }

  @Test
  void ctrlCStopsTheRunAndTheBrokerCleanly() throws Exception {
    Path dir = tmp.resolve("signalled");
    ProcessBuilder child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StopUntilSignalledMain.class.getName(),
        "mirror", "--data", dir.toString(), HELLO)
        .redirectError(ProcessBuilder.Redirect.DISCARD);
    child.environment().keySet().removeIf(k -> k.startsWith("NARFLOW_"));
    Process p = child.start();
    try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("running", out.readLine(), "the run started");
      Path cleanShutdown = dir.resolve("kafka/.kafka_cleanshutdown");
      assertFalse(Files.exists(cleanShutdown), "a running broker has no clean-shutdown marker");
      p.toHandle().destroy(); // SIGTERM, which starts the JVM's shutdown as Ctrl-C does; keeps our pipes open
      assertEquals("stopping", out.readLine(), "the run saw the stop request");
      assertTrue(p.waitFor(2, TimeUnit.MINUTES));
      assertTrue(Files.exists(cleanShutdown), "the broker finished its clean shutdown before the JVM ended");
    } finally {
      p.destroyForcibly();
    }
  }

  private static void assertUsageError(Run r, String messageStart) {
    assertEquals(2, r.exit(), r.err());
    assertEquals(1, r.errLines().size(), "one line:\n" + r.err());
    String line = r.errLines().get(0);
    assertTrue(line.startsWith("narflow mirror: " + messageStart), "expected 'narflow mirror: " + messageStart + "…', got: " + line);
    assertTrue(line.endsWith(" (see narflow mirror --help)"), line);
    assertFalse(line.contains("Exception") || line.contains("\tat "), line);
    assertEquals("", r.out());
  }
}

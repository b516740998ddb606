package dev.narflow.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** narflow's log lines, written by a real logback context set up as the CLI's is. */
class NarflowLoggingTest {
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  private final LoggerContext context = new LoggerContext();

  private LoggerContext configured(Map<String, String> environment) {
    context.setMDCAdapter(new LogbackMDCAdapter()); // as slf4j's binding gives the real context
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setOutputStream(written);
    NarflowLogging.configure(context, LogSettings.fromEnvironment(environment), appender);
    return context;
  }

  private List<String> lines() {
    return written.toString(StandardCharsets.UTF_8).lines().toList();
  }

  /** The worker's give-up line, as PathJob writes it. */
  private static void gaveUp(Logger log) {
    log.atWarn().setMessage("gave up on a path").addKeyValue("store_path", "/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12")
        .addKeyValue("reason", "NOT_FOUND").addKeyValue("upstream_status", 404).addKeyValue("attempts", 1)
        .addKeyValue("error", "http://cache/x.narinfo: HTTP 404 (not found)").log();
  }

  @Test
  void textIsOneKeyValueLinePerProblemWithTheStorePathAndReason() {
    gaveUp(configured(Map.of()).getLogger("dev.narflow.ingest.worker.PathJob"));
    List<String> lines = lines();
    assertEquals(1, lines.size(), lines.toString());
    Pattern expected = Pattern.compile("time=\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z level=WARN logger=PathJob "
        + "msg=\"gave up on a path\" store_path=/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12 reason=NOT_FOUND "
        + "upstream_status=404 attempts=1 error=\"http://cache/x.narinfo: HTTP 404 \\(not found\\)\"");
    assertTrue(expected.matcher(lines.get(0)).matches(), lines.get(0));
  }

  @Test
  void textQuotesWhatWouldBeAmbiguousAndPutsAStackTraceBelow() {
    Logger log = configured(Map.of()).getLogger("dev.narflow.ops.Narflow");
    log.atError().setMessage("internal error").addKeyValue("note", "a=b \"c\"\nd").addKeyValue("empty", "")
        .setCause(new IllegalStateException("boom")).log();
    List<String> lines = lines();
    assertTrue(lines.get(0).endsWith("msg=\"internal error\" note=\"a=b \\\"c\\\"\\nd\" empty=\"\""), lines.get(0));
    assertEquals("java.lang.IllegalStateException: boom", lines.get(1));
    assertTrue(lines.get(2).startsWith("\tat "), lines.toString());
  }

  @Test
  void jsonIsOneObjectPerLineWithTheSameFields() throws Exception {
    Logger log = configured(Map.of("NARFLOW_LOG_FORMAT", "json")).getLogger("dev.narflow.ingest.worker.PathJob");
    gaveUp(log);
    log.atError().setMessage("internal error while mirroring a path").addKeyValue("store_path", "/nix/store/x")
        .setCause(new IllegalStateException("boom\nsecond line")).log();
    List<String> lines = lines();
    assertEquals(2, lines.size(), "an exception stays on its event's line: " + lines);
    ObjectMapper json = new ObjectMapper();
    JsonNode first = json.readTree(lines.get(0));
    assertEquals("WARN", first.get("level").asText());
    assertEquals("dev.narflow.ingest.worker.PathJob", first.get("logger").asText());
    assertEquals("gave up on a path", first.get("msg").asText());
    assertEquals("/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12", first.get("store_path").asText());
    assertEquals("NOT_FOUND", first.get("reason").asText());
    assertTrue(first.get("upstream_status").isInt(), "numbers stay numbers: " + first);
    assertEquals(404, first.get("upstream_status").asInt());
    assertTrue(first.get("time").asText().endsWith("Z"), first.toString());
    assertNotNull(first.get("thread"), first.toString());
    JsonNode second = json.readTree(lines.get(1));
    assertTrue(second.get("exception").asText().startsWith("java.lang.IllegalStateException: boom\nsecond line\n\tat "),
        second.toString());
  }

  @Test
  void theLevelSelectsNarflowsLinesAndKafkaStaysAtWarn() {
    LoggerContext c = configured(Map.of("NARFLOW_LOG_LEVEL", "debug"));
    c.getLogger("dev.narflow.ingest.worker.IngestWorker").debug("narflow debug");
    c.getLogger("org.apache.kafka.clients.consumer.ConsumerConfig").info("kafka info");
    c.getLogger("org.apache.kafka.clients.consumer.ConsumerConfig").warn("kafka warn");
    c.getLogger("kafka.server.ControllerApis").error("refused before activation");
    List<String> lines = lines();
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("msg=\"narflow debug\""), lines.toString());
    assertTrue(lines.get(1).contains("msg=\"kafka warn\""), lines.toString());
  }

  @Test
  void aHigherLevelQuietsKafkaToo() {
    LoggerContext c = configured(Map.of("NARFLOW_LOG_LEVEL", "ERROR"));
    c.getLogger("dev.narflow.ingest.worker.IngestWorker").warn("narflow warn");
    c.getLogger("org.apache.kafka.clients.consumer.ConsumerConfig").warn("kafka warn");
    c.getLogger("dev.narflow.ingest.worker.IngestWorker").error("narflow error");
    List<String> lines = lines();
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("msg=\"narflow error\""), lines.toString());
  }

  @Test
  void unusableValuesAreSaidOnceAndTheDefaultsApply() {
    LogSettings settings = LogSettings.fromEnvironment(Map.of("NARFLOW_LOG_FORMAT", "xml", "NARFLOW_LOG_LEVEL", "verbose"));
    assertEquals(LogSettings.Format.TEXT, settings.format());
    assertEquals(Level.INFO, settings.level());
    LoggerContext c = configured(Map.of("NARFLOW_LOG_FORMAT", "xml", "NARFLOW_LOG_LEVEL", "verbose"));
    c.getLogger("dev.narflow.x").debug("not shown at info");
    List<String> lines = lines();
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("NARFLOW_LOG_FORMAT=xml is neither text nor json"), lines.get(0));
    assertTrue(lines.get(1).contains("NARFLOW_LOG_LEVEL=verbose is not one of"), lines.get(1));
  }

  @Test
  void logbackFindsTheConfiguratorOnTheClasspath() {
    LoggerFactory.getLogger(NarflowLoggingTest.class).debug("starts logging as the CLI does");
    LoggerContext running = (LoggerContext) LoggerFactory.getILoggerFactory();
    assertNotNull(running.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("narflow"),
        "the root logger writes through narflow's appender");
    assertEquals(Level.WARN, running.getLogger("org.apache.kafka").getLevel());
  }
}

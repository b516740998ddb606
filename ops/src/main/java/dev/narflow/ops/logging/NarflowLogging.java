package dev.narflow.ops.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Map;

/**
 * narflow's logging, set up by logback at the first log call (registered as a logback
 * {@link Configurator} service): every line to stderr, where the CLI's progress goes too, in the
 * format and at the level {@link LogSettings} reads from {@code NARFLOW_LOG_FORMAT} and
 * {@code NARFLOW_LOG_LEVEL}. Kafka's broker and clients log every configuration and state change
 * at INFO: they speak at WARN and above only (some not even then, see {@link #QUIET}).
 *
 * <p>An operator who wants logback's full control sets {@code -Dlogback.configurationFile=FILE}
 * (through {@code NARFLOW_JAVA_OPTS}); this configurator then steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class NarflowLogging extends ContextAwareBase implements Configurator {
  /**
   * Loggers held to at least a level above INFO. Besides Kafka's routine chatter: the controller's
   * activation at every start and the NetworkClient's "already closed" at every stop of the
   * embedded broker are normal; the broker's refusal logged (with a stack trace) when it
   * registers a moment before its controller is active is retried and succeeds; Streams 4.3
   * advises about a 5.0 default at every start. A real failure reaches narflow as an error anyway
   * and is reported in one line.
   */
  static final Map<String, Level> QUIET = Map.of(
      "kafka", Level.WARN,
      "org.apache.kafka", Level.WARN,
      "state.change.logger", Level.WARN,
      "org.apache.kafka.controller.QuorumController", Level.ERROR,
      "org.apache.kafka.clients.NetworkClient", Level.ERROR,
      "kafka.server.ControllerApis", Level.OFF,
      "org.apache.kafka.streams.StreamsConfig", Level.ERROR);

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setTarget("System.err");
    configure(context, LogSettings.fromEnvironment(System.getenv()), stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** Sends every event at or above the settings' level through {@code appender}, in their format. */
  static void configure(LoggerContext context, LogSettings settings, OutputStreamAppender<ILoggingEvent> appender) {
    LayoutBase<ILoggingEvent> layout = settings.format() == LogSettings.Format.JSON
        ? new LogLines.Json() : new LogLines.Text();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    appender.setContext(context);
    appender.setName("narflow");
    appender.setEncoder(encoder);
    appender.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.detachAndStopAllAppenders();
    root.addAppender(appender);
    root.setLevel(settings.level());
    QUIET.forEach((name, quiet) -> context.getLogger(name).setLevel(
        quiet.isGreaterOrEqual(settings.level()) ? quiet : settings.level()));
    Logger self = context.getLogger(NarflowLogging.class);
    settings.problems().forEach(self::warn);
  }
}

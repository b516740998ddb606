package dev.narflow.ops.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * narflow's two log line formats. Both carry the same fields: time (UTC, milliseconds), level,
 * logger, message, then the event's key-value pairs ({@code log.atWarn().addKeyValue("store_path", …)})
 * and MDC entries as fields of their own, then the exception if any.
 *
 * <ul>
 *   <li>{@link Text}: {@code time=… level=WARN logger=PathJob msg="gave up on a path" store_path=/nix/store/… reason=NOT_FOUND},
 *       values quoted where they need it (logfmt); an exception's stack trace follows on lines of its own.
 *   <li>{@link Json}: one JSON object per line, {@code {"time":…,"level":…,"logger":…,"thread":…,"msg":…,"store_path":…}};
 *       an exception is one string field, {@code exception}.
 * </ul>
 */
public final class LogLines {
  /** Fields of every line; a key-value pair of the same name is left out rather than repeat one. */
  private static final Set<String> RESERVED = Set.of("time", "level", "logger", "thread", "msg", "exception");

  private LogLines() {}

  /** The {@code key=value} line (logfmt). */
  public static final class Text extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent event) {
      StringBuilder line = new StringBuilder(160);
      line.append("time=").append(time(event));
      line.append(" level=").append(event.getLevel());
      line.append(" logger=").append(shortName(event.getLoggerName()));
      line.append(" msg=");
      quoted(line, event.getFormattedMessage());
      for (Map.Entry<String, Object> field : fields(event).entrySet()) {
        line.append(' ').append(field.getKey()).append('=');
        quoted(line, String.valueOf(field.getValue()));
      }
      line.append(CoreConstants.LINE_SEPARATOR);
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) line.append(ThrowableProxyUtil.asString(thrown));
      return line.toString();
    }

    /** Bare when it can be read back unambiguously, else in double quotes with escapes. */
    private static void quoted(StringBuilder out, String value) {
      boolean bare = !value.isEmpty();
      for (int i = 0; i < value.length() && bare; i++) {
        char c = value.charAt(i);
        bare = c > ' ' && c != '"' && c != '=' && c != '\\' && c != 0x7f;
      }
      if (bare) {
        out.append(value);
        return;
      }
      out.append('"');
      escaped(out, value);
      out.append('"');
    }
  }

  /** One JSON object per line. */
  public static final class Json extends LayoutBase<ILoggingEvent> {
    @Override
    public String doLayout(ILoggingEvent event) {
      StringBuilder line = new StringBuilder(200);
      line.append('{');
      member(line, "time", time(event));
      line.append(',');
      member(line, "level", event.getLevel().toString());
      line.append(',');
      member(line, "logger", event.getLoggerName());
      line.append(',');
      member(line, "thread", event.getThreadName());
      line.append(',');
      member(line, "msg", event.getFormattedMessage());
      for (Map.Entry<String, Object> field : fields(event).entrySet()) {
        line.append(',');
        Object v = field.getValue();
        if (v instanceof Number n && (!(v instanceof Double d) || Double.isFinite(d))
            && (!(v instanceof Float f) || Float.isFinite(f))) {
          string(line, field.getKey());
          line.append(':').append(n);
        } else if (v instanceof Boolean b) {
          string(line, field.getKey());
          line.append(':').append(b);
        } else {
          member(line, field.getKey(), String.valueOf(v));
        }
      }
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        line.append(',');
        member(line, "exception", ThrowableProxyUtil.asString(thrown).stripTrailing());
      }
      line.append('}').append(CoreConstants.LINE_SEPARATOR);
      return line.toString();
    }

    @Override
    public String getContentType() {
      return "application/json";
    }

    private static void member(StringBuilder out, String name, String value) {
      string(out, name);
      out.append(':');
      string(out, value);
    }

    private static void string(StringBuilder out, String value) {
      out.append('"');
      escaped(out, value == null ? "" : value);
      out.append('"');
    }
  }

  private static String time(ILoggingEvent event) {
    return Instant.ofEpochMilli(event.getTimeStamp()).truncatedTo(ChronoUnit.MILLIS).toString();
  }

  /** {@code dev.narflow.ingest.worker.PathJob} → {@code PathJob}: the text line is for people. */
  private static String shortName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }

  /** The event's key-value pairs, then its MDC entries, in order, without the reserved names. */
  private static Map<String, Object> fields(ILoggingEvent event) {
    Map<String, Object> fields = new LinkedHashMap<>();
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        if (kv.key != null && !RESERVED.contains(kv.key)) fields.putIfAbsent(kv.key, kv.value);
      }
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach((k, v) -> {
        if (!RESERVED.contains(k)) fields.putIfAbsent(k, v);
      });
    }
    return fields;
  }

  /** JSON string escapes (also what the text format uses inside quotes). */
  private static void escaped(StringBuilder out, String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}

package dev.narflow.ops.logging;

import ch.qos.logback.classic.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How narflow logs, from the environment: {@code NARFLOW_LOG_FORMAT} ({@code text}, the
 * default: one {@code key=value} line per event; or {@code json}: one JSON object per line) and
 * {@code NARFLOW_LOG_LEVEL} ({@code trace}, {@code debug}, {@code info} (default), {@code warn},
 * {@code error} or {@code off}). A value it does not know is not fatal (logging is set up before
 * the command line is read): the default applies and {@link #problems} says so.
 *
 * @param format the line format
 * @param level the level of narflow's own loggers and of every library's
 * @param problems one line per unusable value, to be logged once logging works
 */
public record LogSettings(Format format, Level level, List<String> problems) {
  public static final String FORMAT_VARIABLE = "NARFLOW_LOG_FORMAT";
  public static final String LEVEL_VARIABLE = "NARFLOW_LOG_LEVEL";

  /** The line formats. */
  public enum Format {
    TEXT,
    JSON
  }

  public LogSettings {
    problems = List.copyOf(problems);
  }

  /** The settings {@code environment} asks for. */
  public static LogSettings fromEnvironment(Map<String, String> environment) {
    List<String> problems = new ArrayList<>();
    Format format = Format.TEXT;
    String f = environment.getOrDefault(FORMAT_VARIABLE, "").strip();
    if (!f.isEmpty()) {
      try {
        format = Format.valueOf(f.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problems.add(FORMAT_VARIABLE + "=" + f + " is neither text nor json; logging as text");
      }
    }
    Level level = Level.INFO;
    String l = environment.getOrDefault(LEVEL_VARIABLE, "").strip();
    if (!l.isEmpty()) {
      // Level.toLevel maps anything it does not know to its default: tell a typo from "debug".
      Level parsed = Level.toLevel(l, null);
      if (parsed == null || parsed == Level.ALL) {
        problems.add(LEVEL_VARIABLE + "=" + l + " is not one of trace, debug, info, warn, error, off; logging at info");
      } else {
        level = parsed;
      }
    }
    return new LogSettings(format, level, problems);
  }
}

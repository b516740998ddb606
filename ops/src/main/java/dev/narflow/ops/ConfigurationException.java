package dev.narflow.ops;

/**
 * Bad configuration or an unusable environment found after parsing (a data directory in use,
 * an unreachable Kafka, S3 or upstream): the command exits 2 with this one-line message.
 */
public final class ConfigurationException extends Exception {
  public ConfigurationException(String message) {
    super(message);
  }

  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}

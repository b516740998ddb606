package dev.narflow.ops.service;

import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.OptionDefaults;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --metrics-listen HOST:PORT} of a service without an HTTP port of its own (DESIGN §6), as
 * a mixin: where its {@link MetricsServer} answers {@code /metrics} and {@code /healthz}. Each
 * service gives its own default, so that one of each can run on a machine without flags.
 */
final class MetricsListenOption {
  @Spec(Spec.Target.MIXEE) CommandSpec command;

  /** Each service's default, one port apart, so that one of each can run on a machine without flags. */
  static final String WORKER_DEFAULT = "127.0.0.1:9400";
  static final String INDEXER_DEFAULT = "127.0.0.1:9401";

  @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
      description = "Where /metrics (Prometheus) and /healthz answer (env NARFLOW_METRICS_LISTEN, default"
          + " " + WORKER_DEFAULT + " for a worker, " + INDEXER_DEFAULT + " for an indexer; 0.0.0.0:PORT for every"
          + " interface, port 0 for any free one).")
  String metricsListen;

  /** The address, checked; a usage error names the option. */
  InetSocketAddress address(String defaultAddress) {
    String value = metricsListen == null || metricsListen.isBlank() ? defaultAddress : metricsListen;
    return OptionDefaults.hostAndPort(command, "--metrics-listen", value, defaultAddress);
  }

  /** Serves {@code registry} there; a port that cannot be bound is a configuration error (exit 2). */
  static MetricsServer start(InetSocketAddress address, PrometheusRegistry registry,
      Supplier<Optional<String>> notReadyReason) throws ConfigurationException {
    try {
      return MetricsServer.start(address, registry, notReadyReason);
    } catch (IOException e) {
      throw new ConfigurationException("--metrics-listen: " + e.getMessage(), e);
    }
  }
}

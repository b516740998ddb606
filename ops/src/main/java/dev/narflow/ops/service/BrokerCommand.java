package dev.narflow.ops.service;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.ConfigurationException;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.ops.StopSignal;
import dev.narflow.ops.embedded.DataDir;
import dev.narflow.ops.embedded.DataDirException;
import dev.narflow.ops.embedded.DirectoryInUseException;
import dev.narflow.ops.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code narflow broker}: the real Kafka broker (KRaft, one node, broker and controller) as a
 * process of its own, for one machine or development. Production brings its own cluster.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs a single-node Kafka broker (KRaft) with its log in DIR/kafka, until SIGTERM; for one machine or"
          + " development (production uses its own Kafka cluster). Clients connect to --listen.",
      "On SIGTERM it stops cleanly (exit status 143, as for any process SIGTERM ends); 2 for bad usage or a DIR"
          + " that cannot be used.",
      "Every option also reads an environment variable named after it (--listen from NARFLOW_LISTEN, …),"
          + " and then the --config file.",
      "Example: narflow broker --data /var/lib/narflow --listen 127.0.0.1:9092",
    })
public final class BrokerCommand implements Callable<Integer> {
  private static final Duration STOP_GRACE = Duration.ofSeconds(120);

  @Spec CommandSpec spec;

  @CommandLine.Mixin ConfigOption config;

  @Option(names = "--data", paramLabel = "DIR",
      description = "Required. The broker's directory: its log in DIR/kafka, formatted on first use (env NARFLOW_DATA).")
  Path data;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:9092",
      description = "Where clients connect (env NARFLOW_LISTEN, default ${DEFAULT-VALUE}); 0.0.0.0:PORT for every"
          + " interface, with --advertise.")
  String listen;

  @Option(names = "--advertise", paramLabel = "HOST:PORT",
      description = "The address clients are told to use, when it differs from --listen (env NARFLOW_ADVERTISE;"
          + " default --listen, or this host's name for a wildcard address).")
  String advertise;

  @Override
  public Integer call() throws Exception {
    if (data == null) throw OptionDefaults.required(spec, "--data", "DIR");
    InetSocketAddress address = OptionDefaults.hostAndPort(spec, "--listen", listen, "127.0.0.1:9092");
    String advertised = null;
    if (advertise != null && !advertise.isBlank()) {
      InetSocketAddress a = OptionDefaults.unresolvedHostAndPort(spec, "--advertise", advertise, "kafka.example.org:9092");
      advertised = a.getHostString() + ":" + a.getPort();
    }
    DataDir dataDir;
    try {
      dataDir = DataDir.open(data);
    } catch (DataDirException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    PrintWriter err = spec.commandLine().getErr();
    try (StopSignal stop = StopSignal.install(STOP_GRACE); DataDir.Lock lock = KafkaSetup.lock(dataDir);
        EmbeddedKafka kafka = start(dataDir, address, advertised)) {
      err.println(String.format(Locale.ROOT, "narflow broker: %s in %.1f s on %s (log in %s)",
          kafka.formatted() ? "formatted and started" : "started", kafka.startupTime().toMillis() / 1000.0,
          kafka.bootstrapServers(), dataDir.kafka()));
      if (kafka.transactionsRepaired() > 0) {
        err.println("narflow broker: " + kafka.transactionsRepaired()
            + " transaction marker(s) lost in an unclean stop written again (KAFKA-20734)");
      }
      err.flush();
      return ServiceLoop.run("broker", stop, Optional::empty, err);
    }
  }

  private static EmbeddedKafka start(DataDir dataDir, InetSocketAddress address, String advertised)
      throws ConfigurationException {
    try {
      return EmbeddedKafka.start(dataDir.kafka(), Map.of(), address, advertised);
    } catch (DirectoryInUseException e) {
      throw new ConfigurationException(dataDir.root() + " is in use by another narflow process", e);
    } catch (IOException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }
}

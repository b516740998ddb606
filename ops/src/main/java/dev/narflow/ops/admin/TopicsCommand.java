package dev.narflow.ops.admin;

import dev.narflow.ops.ConfigOption;
import dev.narflow.ops.KafkaOptions;
import dev.narflow.ops.KafkaSetup;
import dev.narflow.ops.OptionDefaults;
import dev.narflow.topics.kafka.NarflowTopic;
import dev.narflow.topics.kafka.NarflowTopics;
import dev.narflow.topics.kafka.TopicLayout;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narflow topics create}: the cluster's narflow topics, made once before the services start. */
@Command(
    name = "topics",
    mixinStandardHelpOptions = true,
    description = "Manages the narflow topics of a Kafka cluster.",
    subcommands = TopicsCommand.Create.class)
public final class TopicsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: narflow topics create");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      description = {
        "Creates every narflow topic that does not exist yet (requests, work, index, failures) and checks the ones"
            + " that do (their cleanup policy). Safe to run again.",
        "Exits 0 when every topic is there, 2 for bad usage, an unreachable Kafka or a topic with the wrong policy.",
        "Every option also reads an environment variable named after it (--partitions from NARFLOW_PARTITIONS, …),"
            + " and then the --config file.",
        "Example: narflow topics create --bootstrap-servers kafka:9092 --partitions 24 --replication-factor 3",
      })
  public static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @CommandLine.Mixin ConfigOption config;

    @CommandLine.Mixin KafkaOptions cluster;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "" + TopicLayout.DEFAULT_PARTITIONS,
        description = "Partitions of every topic: the most workers and indexers that can share the work"
            + " (env NARFLOW_PARTITIONS, default ${DEFAULT-VALUE}). Cannot be changed later.")
    int partitions;

    @Option(names = "--replication-factor", paramLabel = "N", defaultValue = "-1",
        description = "Replicas of every partition (env NARFLOW_REPLICATION_FACTOR, default the broker's"
            + " default.replication.factor).")
    int replicationFactor;

    @Override
    public Integer call() throws Exception {
      if (partitions < 1 || partitions > 10_000) {
        throw OptionDefaults.invalid(spec, "--partitions", Integer.toString(partitions), "must be between 1 and 10000");
      }
      if (replicationFactor == 0 || replicationFactor < -1 || replicationFactor > Short.MAX_VALUE) {
        throw OptionDefaults.invalid(spec, "--replication-factor", Integer.toString(replicationFactor),
            "must be 1 or more (or -1 for the broker's default)");
      }
      Map<String, Object> kafka = cluster.kafka();
      String prefix = cluster.topicPrefix();
      KafkaSetup.createTopics(kafka, TopicLayout.of(partitions, replicationFactor), prefix, KafkaOptions.ADMIN_TIMEOUT);
      PrintWriter out = spec.commandLine().getOut();
      for (NarflowTopic<?, ?> t : NarflowTopics.withPrefix(prefix)) out.println(t.name());
      out.flush();
      return 0;
    }
  }
}

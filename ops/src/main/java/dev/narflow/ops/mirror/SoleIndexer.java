package dev.narflow.ops.mirror;

import dev.narflow.ops.ConfigurationException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * {@code narflow mirror} reads its status from its indexer's local stores, which hold every
 * partition only while it is the only instance of its Streams application. Another instance with
 * the same application id (a second mirror, or a {@code narflow indexer}, against the same cluster
 * and topic prefix) would take partitions from it, and its status could never complete. So a
 * mirror does not start beside one, and stops when one joins; a killed run's members do not count
 * once their session has expired.
 */
final class SoleIndexer implements AutoCloseable {
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(10);

  private final Admin admin;
  private final String group;

  SoleIndexer(Map<String, Object> kafka, String group) {
    Map<String, Object> config = new HashMap<>(kafka);
    // Kafka refuses an API timeout below the request timeout.
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ADMIN_TIMEOUT.toMillis() / 2);
    this.admin = Admin.create(config);
    this.group = group;
  }

  /** The client ids of the group's members now (none when the group does not exist). */
  Set<String> members() throws InterruptedException {
    try {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      Set<String> ids = new TreeSet<>();
      for (MemberDescription m : d.members()) ids.add(m.clientId() + " on " + m.host());
      return ids;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) return Set.of();
      throw new KafkaException("describing group " + group + ": " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new KafkaException("describing group " + group + " timed out", e);
    }
  }

  /**
   * Waits up to {@code wait} for the group to be empty.
   *
   * @throws ConfigurationException naming the members still there
   */
  void awaitEmpty(Duration wait, MirrorProgress progress) throws ConfigurationException, InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean said = false;
    for (Set<String> members = members(); !members.isEmpty(); members = members()) {
      if (System.nanoTime() > deadline) throw another(members);
      if (!said) {
        progress.note("waiting up to " + wait.toSeconds() + " s for " + members.size() + " member(s) of group " + group
            + " to leave (a killed run's members expire with their session)");
        said = true;
      }
      Thread.sleep(500);
    }
  }

  /** The members that are not this instance's own consumers. */
  Set<String> others(Set<String> ownClientIds) throws InterruptedException {
    Set<String> others = new TreeSet<>();
    for (String m : members()) {
      if (ownClientIds.stream().noneMatch(own -> m.startsWith(own + " on "))) others.add(m);
    }
    return others;
  }

  ConfigurationException another(Set<String> members) {
    return new ConfigurationException("another narflow indexer runs with application id " + group + " on this Kafka ("
        + String.join(", ", members) + "): narflow mirror must be its only instance; stop it, or give this mirror"
        + " its own --topic-prefix");
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}

package dev.narflow.ops;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --upstream URL}…, the binary caches a request is fetched from, as a mixin. */
public final class UpstreamOptions {
  public static final String DEFAULT_UPSTREAM = "https://cache.nixos.org";

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--upstream", paramLabel = "URL", split = "[,\\s]+", splitSynopsisLabel = ",",
      defaultValue = DEFAULT_UPSTREAM,
      description = "Binary cache to fetch from, repeatable, tried in order"
          + " (env NARFLOW_UPSTREAM, a space or comma separated list; default ${DEFAULT-VALUE}).")
  List<String> upstreams;

  /** The upstreams, validated and without trailing slashes; a usage error names the first bad one. */
  public List<URI> upstreams() {
    List<URI> uris = new ArrayList<>();
    for (String u : nonBlank(upstreams)) uris.add(upstream(u));
    if (uris.isEmpty()) throw OptionDefaults.invalid(command, "--upstream", "", "no upstream given");
    return uris;
  }

  private URI upstream(String text) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw OptionDefaults.invalid(command, "--upstream", text, "not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw OptionDefaults.invalid(command, "--upstream", text, "must be an http:// or https:// URL");
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      throw OptionDefaults.invalid(command, "--upstream", text, "has no host");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw OptionDefaults.invalid(command, "--upstream", text, "takes no ?query or #fragment");
    }
    // FetchRequest.upstream_url joins upstreams with spaces; a trailing slash would double the one before <hash>.narinfo.
    String normalized = uri.toString();
    while (normalized.endsWith("/")) normalized = normalized.substring(0, normalized.length() - 1);
    return URI.create(normalized);
  }

  static List<String> nonBlank(List<String> values) {
    return values == null ? List.of() : values.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}

package dev.narflow.ingest.upstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.narflow.ingest.testing.NixCacheFixture;
import dev.narflow.topics.nix.StorePath;
import dev.narflow.topics.nix.TrustedKeys;
import dev.narflow.topics.testing.RealNix;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upstream client against a real HTTP/2 server: Jetty serving a cache that real Nix wrote,
 * offering h2c (HTTP/2 over plain TCP, reached by the HTTP/1.1 Upgrade the JDK client sends) as
 * well as HTTP/1.1. The client must move to HTTP/2 and keep every request on one connection.
 */
class UpstreamHttp2Test {
  @TempDir Path work;

  /** What the server saw of each request: its protocol version and its connection. */
  record Seen(String path, String version, String connection) {}

  @Test
  void speaksHttp2WhereTheUpstreamOffersItAndKeepsOneConnection() throws Exception {
    try (NixCacheFixture cache = NixCacheFixture.create(work.resolve("cache"))) {
      String nonce = UUID.randomUUID().toString();
      List<String> paths = List.of(
          cache.build("h2-a", "/bin/mkdir $out; echo " + nonce + " > $out/id; /usr/bin/seq 1 20000 > $out/seq", List.of()),
          cache.build("h2-b", "echo " + nonce + " > $out", List.of()));
      for (String p : paths) cache.copy(p, "zstd");

      List<Seen> seen = new CopyOnWriteArrayList<>();
      Server server = new Server();
      HttpConfiguration http = new HttpConfiguration();
      ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http),
          new HTTP2CServerConnectionFactory(http));
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      ResourceHandler files = new ResourceHandler();
      files.setBaseResource(ResourceFactory.of(server).newResource(cache.dir()));
      server.setHandler(new Handler.Wrapper(files) {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
          seen.add(new Seen(request.getHttpURI().getPath(), request.getConnectionMetaData().getHttpVersion().asString(),
              request.getConnectionMetaData().getId()));
          return super.handle(request, response, callback);
        }
      });
      server.start();
      try (UpstreamClient client = UpstreamClient.builder()
          .upstreams(List.of(URI.create("http://127.0.0.1:" + connector.getLocalPort())))
          .trustedKeys(TrustedKeys.parse(cache.publicKey()))
          .connectTimeout(Duration.ofSeconds(5)).firstByteTimeout(Duration.ofSeconds(5)).idleTimeout(Duration.ofSeconds(5))
          .build()) {
        client.checkUpstreams();
        for (String p : paths) {
          try (VerifiedNar nar = client.openNar(client.narInfo(StorePath.parseAbsolute(p)))) {
            assertArrayEquals(RealNix.dump(Path.of(p)), nar.readAllBytes(), p);
            nar.finish();
          }
        }
      } finally {
        server.stop();
      }

      assertEquals(5, seen.size(), "nix-cache-info, then a narinfo and a NAR per path: " + seen);
      assertEquals(List.of("HTTP/2.0"), seen.subList(1, seen.size()).stream().map(Seen::version).distinct().toList(),
          "after the first request (which asks to upgrade), everything goes over HTTP/2: " + seen);
      Set<String> connections = seen.stream().map(Seen::connection).collect(Collectors.toSet());
      assertEquals(1, connections.size(), "one connection for every request: " + seen);
      assertTrue(seen.get(0).path().endsWith("/nix-cache-info"), seen.toString());
    }
  }
}

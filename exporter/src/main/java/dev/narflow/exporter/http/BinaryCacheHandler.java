package dev.narflow.exporter.http;

import dev.narflow.chunker.blob.BlobIndexLookup;
import dev.narflow.chunker.nar.DirectoryLookup;
import dev.narflow.chunker.nar.MissingDirectoryException;
import dev.narflow.chunker.nar.NarLayout;
import dev.narflow.chunker.nar.NarRenderer;
import dev.narflow.chunker.nar.TreeCheck;
import dev.narflow.exporter.NarInfos.NarCompression;
import dev.narflow.exporter.NarInfos;
import dev.narflow.exporter.views.ExporterViews;
import dev.narflow.topics.castore.v1.Directory;
import dev.narflow.topics.kafka.StorePathKey;
import dev.narflow.topics.nix.NixCacheInfo;
import dev.narflow.topics.nix.NixSecretKey;
import dev.narflow.topics.nix.StoreDir;
import dev.narflow.topics.store.v1.PathInfo;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The binary cache routes (DESIGN §5) over the exporter's views and the chunk store:
 * {@code /nix-cache-info}, {@code /<hash>.narinfo} and {@code /nar/<NarHash>.nar}, GET and HEAD.
 * Only closure-complete paths exist here (the views hold nothing else). Errors are a status and
 * one line of text; a NAR that fails while streaming (a missing or corrupt chunk) is aborted,
 * never finished with wrong bytes.
 */
public final class BinaryCacheHandler extends Handler.Abstract {
  private static final Logger LOG = LoggerFactory.getLogger(BinaryCacheHandler.class);
  private static final String IMMUTABLE = "public, max-age=31536000, immutable";

  private final ExporterViews views;
  private final ExporterMetrics metrics;
  private final NarRenderer renderer;
  private final NarCompression compression;
  private final NixSecretKey signingKey;
  private final Semaphore renders;
  /**
   * The last narinfos answered, as sent: building one (parse, format, sign with the ed25519 key)
   * costs more than sending it, and clients ask for the same ones again and again. ~1 KB each.
   */
  private final Map<StorePathKey, byte[]> narinfos =
      Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<StorePathKey, byte[]> eldest) {
          return size() > NARINFO_CACHE;
        }
      });
  private static final int NARINFO_CACHE = 8192;
  /** Layouts of NARs asked for by range: ~150 bytes a file, so about 200,000 files' worth. */
  static final long LAYOUT_CACHE_BYTES = 32L << 20;
  private final Duration renderWait;
  private final NarLayouts layouts;
  private final byte[] cacheInfo;
  private final Consumer<StorePathKey> onMissingNarInfo;

  /**
   * @param signingKey signs every narinfo besides the upstream signatures; null for none
   * @param maxRenders NARs rendered at once; more wait up to {@code renderWait}, then get 503
   */
  public BinaryCacheHandler(ExporterViews views, NarRenderer renderer, NarCompression compression,
      NixSecretKey signingKey, int maxRenders, Duration renderWait, int priority, ExporterMetrics metrics) {
    this(views, renderer, compression, signingKey, maxRenders, renderWait, priority, metrics, path -> {});
  }

  /** @param onMissingNarInfo told of every narinfo asked for and not served (pull-through); must not block */
  public BinaryCacheHandler(ExporterViews views, NarRenderer renderer, NarCompression compression,
      NixSecretKey signingKey, int maxRenders, Duration renderWait, int priority, ExporterMetrics metrics,
      Consumer<StorePathKey> onMissingNarInfo) {
    super(InvocationType.BLOCKING); // renders write with blocking back-pressure
    this.onMissingNarInfo = onMissingNarInfo;
    this.metrics = metrics;
    this.views = views;
    this.renderer = renderer;
    this.compression = compression;
    this.signingKey = signingKey;
    this.renders = new Semaphore(maxRenders, true);
    this.renderWait = renderWait;
    this.layouts = new NarLayouts(LAYOUT_CACHE_BYTES);
    this.cacheInfo = NixCacheInfo.of(StoreDir.DEFAULT, true, priority).toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String method = request.getMethod();
    boolean head = HttpMethod.HEAD.is(method);
    if (!head && !HttpMethod.GET.is(method)) {
      response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
      return text(response, callback, 405, "only GET and HEAD", false);
    }
    CacheRoute route = CacheRoute.of(request.getHttpURI().getPath());
    try {
      return answer(request, response, callback, route, head);
    } finally {
      metrics.request(CacheRoute.name(route), response.getStatus());
    }
  }

  private boolean answer(Request request, Response response, Callback callback, CacheRoute route, boolean head)
      throws Exception {
    String method = request.getMethod();
    try {
      if (route instanceof CacheRoute.Metrics) {
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        metrics.write(text);
        return body(response, callback, ExporterMetrics.contentType(), text.toByteArray(), head);
      } else if (route instanceof CacheRoute.Health) {
        views.approximateServablePaths(); // throws while the views are not available
        return text(response, callback, 200, "ok", head);
      } else if (route instanceof CacheRoute.CacheInfo) {
        return body(response, callback, "text/x-nix-cache-info", cacheInfo, head);
      } else if (route instanceof CacheRoute.NarInfoOf n) {
        byte[] text = narinfos.get(n.path());
        if (text == null) {
          Optional<PathInfo> info = views.pathInfo(n.path());
          if (info.isEmpty()) {
            onMissingNarInfo.accept(n.path());
            return text(response, callback, 404, "no such path", head);
          }
          try {
            if (!treeArrived(info.get())) return text(response, callback, 404, "no such path", head);
          } catch (IOException e) {
            LOG.error("narinfo of {} cannot be served: {}", n.path(), e.getMessage());
            return text(response, callback, 500, "this path's tree in the index is broken", head);
          }
          text = NarInfos.of(info.get(), compression, signingKey).format().getBytes(StandardCharsets.UTF_8);
          narinfos.put(n.path(), text); // a servable path's narinfo never changes
        }
        return body(response, callback, "text/x-nix-narinfo", text, head);
      } else if (route instanceof CacheRoute.Nar nar) {
        return nar(request, response, callback, nar, head);
      } else if (route instanceof CacheRoute.Malformed m) {
        return text(response, callback, 400, m.why(), head);
      }
      return text(response, callback, 404, "not found", head);
    } catch (IllegalStateException e) {
      // The views are not available (stopped, or a broken store): say so, in one line.
      LOG.warn("{} {}: {}", method, request.getHttpURI().getPath(), e.getMessage());
      return text(response, callback, 503, "the exporter's views are not available", head);
    }
  }

  private boolean nar(Request request, Response response, Callback callback, CacheRoute.Nar nar, boolean head)
      throws InterruptedException {
    Optional<PathInfo> found = views.pathInfoByNarHash(nar.narSha256());
    if (found.isEmpty()) return text(response, callback, 404, "no such NAR", head);
    PathInfo info = found.get();
    if (nar.compression() == NarCompression.ZSTD) return narZstd(response, callback, nar, info, head);
    long size = info.getNarinfo().getNarSize();
    ByteRange range = new ByteRange(0, size - 1);
    int status = 200;
    String header = request.getHeaders().get(HttpHeader.RANGE);
    if (header != null) {
      try {
        range = ByteRange.parse(header, size);
        status = 206;
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, range.contentRange(size));
      } catch (ByteRange.Malformed e) {
        return text(response, callback, 400, e.getMessage(), head);
      } catch (ByteRange.Unsatisfiable e) {
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes */" + size);
        return text(response, callback, 416, e.getMessage(), head);
      }
    }
    // A range is rendered from the NAR's layout: cached for the next range of it, and walked (every
    // Directory looked up and checked) before any header goes out, so that corrupt index data is a
    // 500 here rather than a response cut short. A whole NAR streams from a walk unless a layout is
    // at hand: it need not wait for the whole tree before its first byte.
    // A HEAD needs no walk. A walk costs what a render does (a Directory lookup and check each), so
    // one not cached yet counts against the cap on renders.
    Optional<NarLayout> layout = layouts.cached(nar.narSha256());
    boolean walk = status == 206 && !head && layout.isEmpty();
    if (walk && !renders.tryAcquire(renderWait.toMillis(), TimeUnit.MILLISECONDS)) {
      response.getHeaders().remove(HttpHeader.CONTENT_RANGE);
      return text(response, callback, 503, "too many NARs being served; try again", false);
    }
    try {
      if (walk) layout = layouts.get(nar.narSha256(), info.getNode(), lookup());
      if (layout.isPresent() && layout.get().narSize() != size) {
        throw new IOException("its tree renders " + layout.get().narSize() + " bytes, its NarSize is " + size);
      }
    } catch (IOException e) {
      LOG.error("NAR {} cannot be rendered: {}", NarInfos.narUrl(nar.narSha256(), nar.compression()), e.getMessage());
      response.getHeaders().remove(HttpHeader.CONTENT_RANGE);
      return text(response, callback, 500, "this NAR cannot be rendered from the index", head);
    } finally {
      if (walk) renders.release();
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-nix-nar");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, IMMUTABLE);
    response.getHeaders().put(HttpHeader.ACCEPT_RANGES, "bytes");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, range.length());
    if (head) {
      response.write(true, null, callback);
      return true;
    }
    ByteRange slice = range;
    if (layout.isPresent()) {
      NarLayout walked = layout.get();
      return stream(response, callback, nar, out -> renderer.render(walked, slice.first(), slice.length(), out));
    }
    return stream(response, callback, nar, out -> renderer.render(info.getNode(), lookup(), slice.first(), slice.length(), out));
  }

  /**
   * {@code .nar.zst}: the stored chunk frames spliced between small frames of NAR framing, so its
   * length is not known before it is sent (no Content-Length, no ranges: a Range is ignored).
   */
  private boolean narZstd(Response response, Callback callback, CacheRoute.Nar nar, PathInfo info, boolean head)
      throws InterruptedException {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/zstd");
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, IMMUTABLE);
    if (head) {
      response.write(true, null, callback);
      return true;
    }
    return stream(response, callback, nar, out -> renderer.renderZstd(info.getNode(), lookup(), out));
  }

  /**
   * The views' Directories, for a render. The views fail unchecked (stopped, or a record that no
   * longer parses); to a render that is a failed read like any other.
   */
  private DirectoryLookup lookup() {
    return digest -> {
      try {
        return views.directory(digest).orElse(null);
      } catch (RuntimeException e) {
        throw new IOException("Directory " + digest.hex() + " from the exporter's views: " + e.getMessage(), e);
      }
    };
  }

  /** The views' blob indexes, for the renderer: a multi-chunk file costs no object-store GET. */
  public static BlobIndexLookup blobIndexes(ExporterViews views) {
    return digest -> {
      try {
        return views.blob(digest).orElse(null);
      } catch (RuntimeException e) {
        throw new IOException("blob index " + digest.hex() + " from the exporter's views: " + e.getMessage(), e);
      }
    };
  }

  /**
   * Whether every Directory of a servable path's tree is in the views yet. They read two topics, so
   * a closure-complete PathInfo can come in before the Directory records its NAR is made of (the
   * indexer saw them all, the views not yet); until they are all there, the path is not advertised
   * (the client asks again; a narinfo is cached only once sent), so no client is sent to a NAR that
   * would be cut short. One lookup per directory of the tree, once per narinfo cached.
   */
  private boolean treeArrived(PathInfo info) throws IOException {
    if (!info.getNode().hasDirectory()) return true;
    DirectoryLookup inViews = lookup();
    boolean[] notYet = {false};
    try {
      TreeCheck.requireWhole(info.getNode(), digest -> {
        Directory d = inViews.get(digest);
        if (d == null) notYet[0] = true;
        return d;
      });
      return true;
    } catch (MissingDirectoryException e) {
      if (notYet[0]) return false;
      throw e; // there, but not the Directory its parent names: the index is broken, not late
    }
  }

  /** What a render writes into the response. */
  private interface Render {
    void to(OutputStream out) throws IOException;
  }

  /** Runs a render within the cap on concurrent renders; a failure cuts the response short. */
  private boolean stream(Response response, Callback callback, CacheRoute.Nar nar, Render render)
      throws InterruptedException {
    if (!renders.tryAcquire(renderWait.toMillis(), TimeUnit.MILLISECONDS)) {
      response.getHeaders().remove(HttpHeader.CONTENT_RANGE);
      response.getHeaders().put(HttpHeader.RETRY_AFTER, 5);
      return text(response, callback, 503, "too many NARs being served; try again", false);
    }
    String route = CacheRoute.name(nar);
    long started = System.nanoTime();
    metrics.renderStarted();
    boolean failed = true;
    try {
      CountingOutputStream out = new CountingOutputStream(Content.Sink.asOutputStream(response));
      try {
        render.to(out);
        out.close(); // only now the response is complete; a failed render never closes it
        failed = false;
      } finally {
        metrics.narBytes(route, out.count);
      }
    } catch (IOException | RuntimeException e) {
      // Headers are out: the only honest thing left is to cut the response short (the connection
      // is dropped, so a client never takes a short body, or a short zstd stream, for a whole one).
      LOG.error("NAR {} failed while streaming, response aborted: {}", NarInfos.narUrl(nar.narSha256(),
          nar.compression()), e.getMessage());
      callback.failed(e);
      return true;
    } finally {
      renders.release();
      metrics.renderEnded(route, System.nanoTime() - started, failed);
    }
    callback.succeeded();
    return true;
  }

  /** Counts what goes through, for the bytes-sent metric. */
  private static final class CountingOutputStream extends FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  private static boolean body(Response response, Callback callback, String type, byte[] body, boolean head) {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, head ? null : ByteBuffer.wrap(body), callback);
    return true;
  }

  /** A status with one line of text. */
  static boolean text(Response response, Callback callback, int status, String line, boolean head) {
    byte[] body = (line + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, head ? null : ByteBuffer.wrap(body), callback);
    return true;
  }
}

package dev.narflow.exporter.http;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself (an ambiguous or malformed URI, a header too large, an exception
 * past the handler): the status and one line of text, never a stack trace or an HTML page.
 */
public final class OneLineErrors extends ErrorHandler {
  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    int status = response.getStatus() >= 400 ? response.getStatus() : 500;
    String reason = HttpStatus.getMessage(status);
    return BinaryCacheHandler.text(response, callback, status, reason == null ? "error" : reason.toLowerCase(), false);
  }
}

package dev.narflow.ops.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Reading YAML documents, compose's {@code .env} and its variable interpolation, and walking the trees. */
final class Yamls {
  private Yamls() {}

  /** A parser that refuses duplicate keys (a silent override in most tools) and builds mutable trees. */
  static Yaml parser() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    return new Yaml(new SafeConstructor(options));
  }

  static Object load(String text) {
    return parser().load(text);
  }

  static List<Object> loadAll(String text) {
    List<Object> docs = new ArrayList<>();
    for (Object doc : parser().loadAll(text)) {
      if (doc != null) docs.add(doc);
    }
    return docs;
  }

  /** compose's {@code .env}: {@code KEY=VALUE} lines, {@code #} comments, optional quotes around the value. */
  static Map<String, String> dotEnv(String text) {
    Map<String, String> vars = new LinkedHashMap<>();
    for (String line : text.split("\r?\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#")) continue;
      int eq = l.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException(".env: not KEY=VALUE: " + l);
      String value = l.substring(eq + 1).strip();
      if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
        value = value.substring(1, value.length() - 1);
      }
      vars.put(l.substring(0, eq).strip(), value);
    }
    return vars;
  }

  private static final Pattern VARIABLE =
      Pattern.compile("\\$\\$|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}|\\$([A-Za-z_][A-Za-z0-9_]*)");

  /**
   * compose's interpolation: {@code ${VAR}}, {@code ${VAR:-default}}, {@code ${VAR-default}},
   * {@code ${VAR:?error}}, {@code $VAR}, {@code $$} for a dollar. A variable that is neither set
   * nor defaulted is a problem (compose would substitute an empty string, with a warning).
   */
  static String interpolate(String text, Map<String, String> vars, List<String> problems) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group().equals("$$")) {
        replacement = "$";
      } else {
        String name = m.group(1) != null ? m.group(1) : m.group(4);
        String op = m.group(2);
        String arg = m.group(3);
        String value = vars.get(name);
        boolean emptyIsUnset = op != null && op.startsWith(":");
        boolean unset = value == null || emptyIsUnset && value.isEmpty();
        if (op != null && op.endsWith("-")) {
          replacement = unset ? arg : value;
        } else if (unset) {
          problems.add("compose: variable " + name + " is not set in .env" + (arg != null && !arg.isEmpty() ? " (" + arg + ")" : ""));
          replacement = "";
        } else {
          replacement = value;
        }
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node) {
    return node instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object node) {
    return node instanceof List<?> l ? (List<Object>) l : List.of();
  }

  /** The node at {@code path} (map keys), or null. */
  static Object at(Object node, String... path) {
    Object n = node;
    for (String key : path) {
      if (!(n instanceof Map<?, ?> m)) return null;
      n = m.get(key);
    }
    return n;
  }

  static String string(Object node) {
    return node == null ? null : String.valueOf(node);
  }

  /** A compose or Kubernetes string list; a compose string command is split on white space. */
  static List<String> strings(Object node) {
    if (node == null) return List.of();
    if (node instanceof String s) return List.of(s.strip().split("\\s+"));
    return list(node).stream().map(String::valueOf).toList();
  }

  /** compose's {@code environment:} as a map or as {@code KEY=VALUE} items. */
  static Map<String, String> environment(Object node) {
    Map<String, String> env = new LinkedHashMap<>();
    if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
    } else {
      for (Object item : list(node)) {
        String s = String.valueOf(item);
        int eq = s.indexOf('=');
        env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      }
    }
    return env;
  }
}

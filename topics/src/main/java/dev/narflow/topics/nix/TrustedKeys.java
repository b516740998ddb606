package dev.narflow.topics.nix;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/** The public keys whose signatures we accept (Nix's {@code trusted-public-keys}), by name. Immutable. */
public final class TrustedKeys {
  private final Map<String, NixPublicKey> byName;

  private TrustedKeys(Map<String, NixPublicKey> byName) {
    this.byName = byName;
  }

  /** Two different keys with one name would make verification ambiguous, so that is an error. */
  public static TrustedKeys of(Collection<NixPublicKey> keys) {
    Map<String, NixPublicKey> byName = new LinkedHashMap<>();
    for (NixPublicKey k : keys) {
      NixPublicKey previous = byName.putIfAbsent(k.name(), k);
      if (previous != null && !previous.equals(k)) {
        throw new IllegalArgumentException("two different trusted keys are named '" + k.name() + "'");
      }
    }
    return new TrustedKeys(Collections.unmodifiableMap(byName));
  }

  public static TrustedKeys of(NixPublicKey... keys) {
    return of(java.util.List.of(keys));
  }

  /** Parses whitespace-separated {@code name:base64} keys, like Nix's {@code trusted-public-keys} setting. */
  public static TrustedKeys parse(String keys) {
    java.util.List<NixPublicKey> list = new java.util.ArrayList<>();
    for (String k : keys.strip().split("\\s+")) {
      if (!k.isEmpty()) list.add(NixPublicKey.parse(k));
    }
    return of(list);
  }

  public Collection<NixPublicKey> keys() {
    return byName.values();
  }

  /** Names of the trusted keys with a valid signature on {@code info} (paths in /nix/store). */
  public SortedSet<String> verify(NarInfo info) {
    return verify(info, StoreDir.DEFAULT);
  }

  /**
   * Names of the trusted keys with a valid signature on {@code info}; empty when none. Signatures
   * by untrusted names are skipped unread; one that claims a trusted name but is malformed is an
   * error, as in Nix ("signature is not valid").
   */
  public SortedSet<String> verify(NarInfo info, StoreDir storeDir) {
    String fingerprint = info.fingerprint(storeDir);
    SortedSet<String> matched = new TreeSet<>();
    for (String sigText : info.signatures()) {
      int colon = sigText.indexOf(':');
      NixPublicKey key = colon > 0 ? byName.get(sigText.substring(0, colon)) : null;
      if (key == null) continue;
      NarSignature sig;
      try {
        sig = NarSignature.parse(sigText);
      } catch (NixFormatException e) {
        throw new NixFormatException("narinfo of " + info.storePath() + ": " + e.getMessage(), e);
      }
      if (key.verify(fingerprint, sig)) matched.add(key.name());
    }
    return Collections.unmodifiableSortedSet(matched);
  }
}

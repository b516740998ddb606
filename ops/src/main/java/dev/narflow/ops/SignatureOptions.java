package dev.narflow.ops;

import dev.narflow.topics.nix.NixPublicKey;
import dev.narflow.topics.nix.TrustedKeys;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Which narinfo signatures a worker accepts ({@code --trusted-public-key}…, {@code --no-check-sigs}), as a mixin. */
public final class SignatureOptions {
  public static final String DEFAULT_TRUSTED_KEY = "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=";

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  @Option(names = "--trusted-public-key", paramLabel = "NAME:KEY", split = "[,\\s]+",
      splitSynopsisLabel = ",", defaultValue = DEFAULT_TRUSTED_KEY,
      description = "A key whose narinfo signatures are accepted, repeatable"
          + " (env NARFLOW_TRUSTED_PUBLIC_KEY, a space separated list; default ${DEFAULT-VALUE}).")
  List<String> trustedKeys;

  @Option(names = "--no-check-sigs",
      description = "Accept paths without a valid signature, for caches that do not sign"
          + " (env NARFLOW_NO_CHECK_SIGS=1).")
  boolean noCheckSigs;

  public boolean checkSignatures() {
    return !noCheckSigs;
  }

  /** The keys, parsed; a usage error names a bad one, or the lack of any while signatures are checked. */
  public TrustedKeys trustedKeys() {
    List<NixPublicKey> keys = new ArrayList<>();
    for (String k : UpstreamOptions.nonBlank(trustedKeys)) {
      try {
        keys.add(NixPublicKey.parse(k));
      } catch (IllegalArgumentException e) { // NixFormatException among them
        throw OptionDefaults.invalid(command, "--trusted-public-key", k, e.getMessage());
      }
    }
    if (keys.isEmpty() && !noCheckSigs) {
      throw OptionDefaults.invalid(command, "--trusted-public-key", "",
          "no key given (use --no-check-sigs for caches that do not sign)");
    }
    return TrustedKeys.of(keys);
  }
}

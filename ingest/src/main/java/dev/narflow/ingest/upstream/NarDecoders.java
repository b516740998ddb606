package dev.narflow.ingest.upstream;

import dev.narflow.topics.nix.NarInfo;
import java.util.Optional;

/** Chooses the decoder for a NAR: the pure-Java decoders of {@link Compression}, or native xz where it pays. */
interface NarDecoders {
  /**
   * Below this FileSize xz-java decodes: starting a process eats what the native decoder saves on
   * a small file (measured at 268 KiB of xz: 21 ms CPU in Java, 19.5–20.5 ms native including the
   * start; see NativeXz). Unknown sizes go native.
   */
  long NATIVE_XZ_MIN_FILE_SIZE = 256 * 1024;

  /** Pure Java for everything: always works. */
  NarDecoders PURE_JAVA = (compression, info) -> compression::decompress;

  VerifiedNar.Decoder decoderFor(Compression compression, NarInfo info);

  /** Native {@code xz} for xz NARs when one is on PATH and {@code allowNative}, else pure Java. */
  static NarDecoders choose(boolean allowNative) {
    return choose(allowNative ? NativeXz.onPath() : Optional.empty(), NATIVE_XZ_MIN_FILE_SIZE);
  }

  /** {@code xz} for xz files of at least {@code minFileSize} bytes (or unknown size), pure Java otherwise. */
  static NarDecoders choose(Optional<NativeXz> xz, long minFileSize) {
    if (xz.isEmpty()) return PURE_JAVA;
    NativeXz nativeXz = xz.get();
    return (compression, info) -> compression == Compression.XZ
        && (info.fileSize() == 0 || info.fileSize() >= minFileSize)
        ? nativeXz : compression::decompress;
  }
}

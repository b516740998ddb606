package dev.narflow.ingest.upstream;

/** Chooses the decoder for a NAR's compression. */
interface NarDecoders {
  /** The pure-Java decoders of {@link Compression}. */
  NarDecoders DEFAULT = compression -> compression::decompress;

  VerifiedNar.Decoder decoderFor(Compression compression);
}

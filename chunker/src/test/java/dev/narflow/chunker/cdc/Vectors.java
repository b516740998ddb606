package dev.narflow.chunker.cdc;

import dev.narflow.topics.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;

/** The FastCDC 2020 vectors of fixtures/VECTORS.md (from fastcdc-rs's v2020 tests). */
final class Vectors {
  private Vectors() {}

  static final String SEKIEN = "fastcdc/SekienAkashita.jpg";

  static byte[] sekien() {
    byte[] data = Fixtures.bytes(SEKIEN);
    if (data.length != 109466) throw new IllegalStateException(SEKIEN + " has " + data.length + " bytes, not 109466");
    return data;
  }

  /** One parameter set with its expected cuts over SekienAkashita.jpg. */
  record Case(String name, FastCdc.Params params, List<FastCdc.Cut> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> sekienCases() {
    return List.of(
        new Case("4096/16384/65535 level 1", FastCdc.Params.of(4096, 16384, 65535),
            cuts("(17968276318003433923,21325) (8197189939299398838,17140) (13019990849178155730,28084) "
                + "(4509236223063678303,18217) (2504464741100432583,24700)")),
        new Case("4096/16384/65535 seed 666", FastCdc.Params.of(4096, 16384, 65535).withSeed(666),
            cuts("(9312357714466240148,10605) (226910853333574584,55745) (12271755243986371352,11346) "
                + "(14153975939352546047,5883) (5890158701071314778,11586) (8981594897574481255,14301)")),
        new Case("8192/32768/131072", FastCdc.Params.of(8192, 32768, 131072),
            cuts("(15733367461443853673,66549) (6321136627705800457,42917)")),
        new Case("16384/65536/262144", FastCdc.Params.of(16384, 65536, 262144),
            cuts("(2504464741100432583,109466)")),
        new Case("4096/16384/65535 level 0", FastCdc.Params.of(4096, 16384, 65535).withNormalization(0),
            cuts("(443122261039895162,6634) (15733367461443853673,59915) (10460176299449652894,25597) "
                + "(6197802202431009942,5237) (6321136627705800457,12083)")),
        new Case("8192/16384/32768 level 3", FastCdc.Params.of(8192, 16384, 32768).withNormalization(3),
            cuts("(10718006254707412376,17350) (13104072099671895560,19911) (12322483109039221194,17426) "
                + "(16009206469796846404,17519) (2473608525189754172,19940) (2504464741100432583,17320)")));
  }

  /** Parses the "(hash,length) …" form of VECTORS.md; hashes are unsigned decimal. */
  static List<FastCdc.Cut> cuts(String pairs) {
    List<FastCdc.Cut> out = new ArrayList<>();
    for (String pair : pairs.trim().split("\\s+")) {
      String[] parts = pair.substring(1, pair.length() - 1).split(",");
      out.add(new FastCdc.Cut(Integer.parseInt(parts[1]), Long.parseUnsignedLong(parts[0])));
    }
    return out;
  }

  /** Every cut of the whole input by repeated {@link FastCdc#cut}, as the reference's iterator. */
  static List<FastCdc.Cut> cutAll(FastCdc cdc, byte[] data) {
    List<FastCdc.Cut> out = new ArrayList<>();
    int position = 0;
    while (position < data.length) {
      FastCdc.Cut cut = cdc.cut(data, position, data.length - position);
      if (cut.length() <= 0) throw new AssertionError("empty cut at " + position);
      out.add(cut);
      position += cut.length();
    }
    return out;
  }
}

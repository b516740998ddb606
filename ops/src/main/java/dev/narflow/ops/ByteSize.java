package dev.narflow.ops;

import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte counts as operators write them: {@code 262144}, {@code 256K}, {@code 1M}, {@code 2G} (powers of 1024). */
public final class ByteSize implements ITypeConverter<Long> {
  @Override
  public Long convert(String value) {
    return parse(value);
  }

  public static long parse(String value) {
    String v = value.strip().toUpperCase(Locale.ROOT);
    if (v.endsWith("IB")) v = v.substring(0, v.length() - 2);
    else if (v.endsWith("B")) v = v.substring(0, v.length() - 1);
    int shift = 0;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = -1;
      }
      if (shift >= 0) v = v.substring(0, v.length() - 1);
      else shift = 0;
    }
    try {
      long n = Long.parseLong(v);
      if (n < 0 || Long.numberOfLeadingZeros(n) <= shift) throw new NumberFormatException();
      return n << shift;
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a byte size (examples: 262144, 256K, 1M)");
    }
  }

  /** A short human form for progress lines: {@code 1.5 GiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) return bytes + " B";
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}

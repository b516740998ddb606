package dev.narflow.chunker.hash;

/** Test-side access to the package-private kernel switches, for benchmarks in other packages. */
public final class Blake3Kernels {
  private Blake3Kernels() {}

  public static Blake3 scalarHasher() {
    return Blake3.newScalarHasher();
  }

  public static boolean vectorAvailable() {
    return Blake3.vectorKernelAvailable();
  }

  public static int vectorLanes() {
    return Blake3.vectorLanes();
  }
}

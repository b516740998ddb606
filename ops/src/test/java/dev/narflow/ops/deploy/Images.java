package dev.narflow.ops.deploy;

import java.util.List;
import java.util.Map;

/** Container image references and the rules for the images the deployment files may use. */
final class Images {
  private Images() {}

  /** {@code quay.io/minio/mc:RELEASE.…} → repository {@code quay.io/minio/mc}, tag {@code RELEASE.…}. */
  record Ref(String repository, String tag, String digest) {
    static Ref parse(String image) {
      String digest = null;
      int at = image.indexOf('@');
      if (at >= 0) {
        digest = image.substring(at + 1);
        image = image.substring(0, at);
      }
      int colon = image.lastIndexOf(':');
      if (colon > image.lastIndexOf('/')) return new Ref(image.substring(0, colon), image.substring(colon + 1), digest);
      return new Ref(image, null, digest);
    }

    @Override
    public String toString() {
      return repository + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }
  }

  /**
   * What each expected image's tag must be: {@code narflow} this narflow's version, {@code
   * apache/kafka} the Kafka of the build (the root pom's {@code kafka.version}), every other a
   * pinned version (a tag with a digit in it, never {@code latest}).
   */
  record Rules(Map<String, String> exactTags, List<String> expectedRepositories) {
    /** Problems with {@code image} as {@code where} uses it. */
    void check(String where, String image, List<String> problems) {
      if (image == null || image.isBlank()) {
        problems.add(where + ": no image");
        return;
      }
      Ref ref = Ref.parse(image);
      if (!expectedRepositories.contains(ref.repository())) {
        problems.add(where + ": image " + image + " is not one of the expected " + expectedRepositories);
        return;
      }
      String exact = exactTags.get(ref.repository());
      if (exact != null) {
        if (!exact.equals(ref.tag())) problems.add(where + ": image " + image + " must be " + ref.repository() + ":" + exact);
      } else if (ref.digest() == null && (ref.tag() == null || ref.tag().equals("latest") || !ref.tag().matches(".*\\d.*"))) {
        problems.add(where + ": image " + image + " is not pinned to a version");
      }
    }
  }
}

package dev.narflow.ops.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.narflow.topics.v1.FetchFailure;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MirrorProgressTest {
  private static final long SECOND = 1_000_000_000L;
  private static final long MIB = 1 << 20;
  private static final String P1 = "/nix/store/0c4aff6w3sd2ryzjkfm5aqy3gz0w2lsy-hello-2.12";
  private static final String P2 = "/nix/store/9mfkjxsckrz2iqchzpbj0m7aq8zv6sdj-glibc-2.40";

  @Test
  void statusLineShowsPathsBytesSpeedDedupAndEta() {
    // 10 of 40 paths in 20 s; 200 MiB read of 600 MiB known: 10 MiB/s, 400 MiB to go = 40 s.
    MirrorCounters c = new MirrorCounters(40, 10, 0, 200 * MIB, 600 * MIB, 150 * MIB, 50 * MIB);
    assertEquals("10/40 paths, 200.0 MiB NAR, 10.0 MiB/s, dedup 3.0x, ETA 0:40",
        MirrorProgress.statusLine(c, 20 * SECOND));
  }

  @Test
  void failuresShowAndEtaFallsBackOnPathsWhenTheTotalIsUnknown() {
    // 8 done + 2 failed of 40 in 50 s: 0.2 paths/s, 30 to go = 150 s.
    MirrorCounters c = new MirrorCounters(40, 8, 2, 5 * MIB, -1, 0, 0);
    assertEquals("8/40 paths, 2 failed, 5.0 MiB NAR, 102.4 KiB/s, dedup -, ETA 2:30",
        MirrorProgress.statusLine(c, 50 * SECOND));
  }

  @Test
  void etaBeforeAnythingHappenedAndWhenEverythingFinished() {
    assertEquals("?", MirrorProgress.eta(new MirrorCounters(1, 0, 0, 0, -1, 0, 0), SECOND));
    assertEquals("?", MirrorProgress.eta(MirrorCounters.ZERO, 0));
    assertEquals("0:00", MirrorProgress.eta(new MirrorCounters(3, 2, 1, 0, -1, 0, 0), SECOND));
  }

  @Test
  void durations() {
    assertEquals("0:42", MirrorProgress.duration(42));
    assertEquals("12:05", MirrorProgress.duration(725));
    assertEquals("3:07:09", MirrorProgress.duration(3 * 3600 + 7 * 60 + 9));
  }

  @Test
  void summaryListsEveryFailureAndWhatIncompletePathsWaitOn() {
    MirrorCounters c = new MirrorCounters(5, 3, 1, 300 * MIB, -1, 256 * MIB, 64 * MIB);
    MirrorSummary s = MirrorSummary.of(c, Duration.ofSeconds(75),
        List.of(new FailedPath(P2, FetchFailure.Reason.NOT_FOUND, 404, "no narinfo at http://127.0.0.1:1/x.narinfo"),
            new FailedPath(P1, FetchFailure.Reason.SIGNATURE_INVALID, 0, "")),
        Map.of(P1, List.of("/nix/store/a", "/nix/store/b", "/nix/store/c", "/nix/store/d", "/nix/store/e")));
    assertEquals(List.of(
        "5 paths: 3 complete, 1 failed; 256.0 MiB NAR fetched, 64.0 MiB stored, dedup 4.0x; 1:15",
        "failed " + P2 + ": NOT_FOUND (upstream status 404): no narinfo at http://127.0.0.1:1/x.narinfo",
        "failed " + P1 + ": SIGNATURE_INVALID",
        "incomplete " + P1 + ": waits on /nix/store/a, /nix/store/b, /nix/store/c and 2 more"),
        MirrorProgress.summaryLines(s));
  }

  @Test
  void onATerminalOneLineIsRedrawnWithProblemsAboveIt() {
    AtomicLong clock = new AtomicLong();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    MirrorProgress progress = new MirrorProgress(new PrintWriter(out), new PrintWriter(err), true, clock::get);
    MirrorCounters first = new MirrorCounters(2, 1, 0, 10 * MIB, -1, 10 * MIB, 5 * MIB);
    progress.update(first); // not due yet: nothing drawn at time 0
    assertEquals("", err.toString());
    clock.set(SECOND);
    progress.update(first);
    progress.pathDone(P1, 10 * MIB, 5 * MIB); // counted in the live line, no line of its own
    progress.failed(new FailedPath(P2, FetchFailure.Reason.TIMEOUT, 0, "no answer in 30 s"));
    clock.set(SECOND + 100_000_000L);
    progress.update(new MirrorCounters(2, 1, 1, 10 * MIB, -1, 10 * MIB, 5 * MIB)); // throttled
    String line = "1/2 paths, 10.0 MiB NAR, 10.0 MiB/s, dedup 2.0x, ETA 0:01";
    progress.finish(MirrorSummary.of(progress.latest(), progress.elapsed(), List.of(), Map.of()));
    assertEquals("\r\033[K" + line
        + "\r\033[Kfailed " + P2 + ": TIMEOUT: no answer in 30 s" + System.lineSeparator() + line
        + "\r\033[K", err.toString());
    assertEquals("2 paths: 1 complete, 1 failed; 10.0 MiB NAR fetched, 5.0 MiB stored, dedup 2.0x; 0:01"
        + System.lineSeparator(), out.toString());
  }

  @Test
  void inALogEveryPathAndProblemIsALineAndTheStatusComesRarely() {
    AtomicLong clock = new AtomicLong();
    StringWriter err = new StringWriter();
    MirrorProgress progress = new MirrorProgress(new PrintWriter(new StringWriter()), new PrintWriter(err), false, clock::get);
    clock.set(SECOND);
    progress.update(new MirrorCounters(2, 1, 0, MIB, -1, MIB, MIB)); // within the log interval: silent
    progress.pathDone(P1, MIB, 512 * 1024);
    progress.failed(new FailedPath(P2, FetchFailure.Reason.NAR_HASH_MISMATCH, 200, "got sha256:abc"));
    clock.set(11 * SECOND);
    progress.update(new MirrorCounters(2, 1, 1, MIB, -1, MIB, MIB));
    progress.close();
    assertEquals(List.of(
        "mirrored " + P1 + ": 1.0 MiB NAR, 512.0 KiB stored",
        "failed " + P2 + ": NAR_HASH_MISMATCH (upstream status 200): got sha256:abc",
        "1/2 paths, 1 failed, 1.0 MiB NAR, 93.1 KiB/s, dedup 1.0x, ETA 0:00"), err.toString().lines().toList());
    assertEquals(-1, err.toString().indexOf('\r'), "no carriage returns in a log");
  }
}

package dev.narflow.topics.nix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class NixCacheInfoTest {
  @Test
  void cacheNixosOrg() {
    String text = "StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n";
    NixCacheInfo info = NixCacheInfo.parse(text);
    assertEquals(Optional.of("/nix/store"), info.storeDir());
    assertEquals(Optional.of(true), info.wantMassQuery());
    assertEquals(OptionalInt.of(40), info.priority());
    assertEquals(text, info.format());
    assertEquals(info, NixCacheInfo.of(StoreDir.DEFAULT, true, 40));
    info.checkStoreDir(StoreDir.DEFAULT);
  }

  @Test
  void whatNixWritesForANewCache() {
    assertEquals("StoreDir: /nix/store\n", NixCacheInfo.of(StoreDir.DEFAULT).format());
    NixCacheInfo parsed = NixCacheInfo.parse("StoreDir: /nix/store\n");
    assertEquals(Optional.empty(), parsed.wantMassQuery());
    assertEquals(OptionalInt.empty(), parsed.priority());
  }

  @Test
  void lenientLikeNix() {
    NixCacheInfo info = NixCacheInfo.parse("\nno colon here\nStoreDir:/gnu/store  \nWantMassQuery: true\n"
        + "Unknown: x\nPriority:  10 \nPriority: -5");
    assertEquals(Optional.of("/gnu/store"), info.storeDir());
    assertEquals(Optional.of(false), info.wantMassQuery()); // only "1" means true in Nix
    assertEquals(OptionalInt.of(-5), info.priority());
    assertEquals("StoreDir: /gnu/store\nWantMassQuery: 0\nPriority: -5\n", info.format());
    NixFormatException e = assertThrows(NixFormatException.class, () -> info.checkStoreDir(StoreDir.DEFAULT));
    assertTrue(e.getMessage().contains("'/gnu/store', not '/nix/store'"), e.getMessage());
    NixCacheInfo.parse("").checkStoreDir(StoreDir.DEFAULT);
  }

  @Test
  void badPriority() {
    NixFormatException e = assertThrows(NixFormatException.class,
        () -> NixCacheInfo.parse("StoreDir: /nix/store\nPriority: high\n"));
    assertTrue(e.getMessage().contains("line 2: invalid Priority 'high'"), e.getMessage());
  }
}

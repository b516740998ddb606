#!/usr/bin/env python3
"""Helpers of ops/bench/mirror: pick the machine's files for the two corpora, write the Nix file of
the many-paths corpus, simulate a rebuild, read a binary cache's narinfos, and print the report.

Every choice is deterministic (sorted listings, a fixed random seed), so the same machine gives the
same corpus, hence the same store paths, on every run.
"""
import glob
import json
import os
import random
import re
import stat
import sys

# Store path names: Nix allows these characters and no leading dot.
NAME_OK = re.compile(r"[A-Za-z0-9+\-._?=]")
# Characters we let into a Nix string literal and a shell word without escaping worries.
SOURCE_OK = re.compile(r"^[A-Za-z0-9+\-._/@:,=]+$")
MAX_MANY_ENTRY = 48 * 10**6  # "sizes from bytes to tens of MB"


def tree_bytes(path):
    """Apparent bytes of a file or tree, or None if it holds anything a NAR cannot (fifo, socket,
    device) or something unreadable: such an entry is skipped rather than failing the build."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return st.st_size if os.access(path, os.R_OK) else None
    if stat.S_ISLNK(st.st_mode):
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return None
    total, errors = 0, []
    for root, dirs, files in os.walk(path, onerror=errors.append):
        for name in dirs + files:
            p = os.path.join(root, name)
            try:
                s = os.lstat(p)
            except OSError:
                return None
            if stat.S_ISREG(s.st_mode):
                if not os.access(p, os.R_OK):
                    return None
                total += s.st_size
            elif not (stat.S_ISDIR(s.st_mode) or stat.S_ISLNK(s.st_mode)):
                return None
    return None if errors else total


def real_dirs(pattern):
    return [p for p in sorted(glob.glob(pattern)) if os.path.isdir(p) and not os.path.islink(p)]


def big_sources(small):
    """Real package trees, largest kinds first, until the NAR total (counting the rebuild of the
    first one) reaches the target: ≥ 1.5 GB (a few MB with small)."""
    if small:
        py = (real_dirs("/usr/lib/python3.[0-9]*") or ["/usr/lib/python3"])[-1]
        candidates = [f"{py}/email", f"{py}/json", f"{py}/asyncio", f"{py}/unittest", f"{py}/xml"]
        target = 3 * 10**6
    else:
        candidates = (
            real_dirs("/usr/lib/jvm/java-*-openjdk-*")        # a JDK (rebuilt below)
            + real_dirs("/usr/lib/python3.[0-9]*")             # a Python install (its stdlib)
            + real_dirs("/usr/lib/llvm-*")                     # a compiler tool chain
            + real_dirs("/usr/lib/jvm/temurin-*")              # another JDK
            + real_dirs("/usr/lib/x86_64-linux-gnu")           # the shared libraries
            + ["/usr/share/doc", "/usr/share/locale", "/usr/share/man"]
        )
        target = 1_500 * 10**6
    chosen, total = [], 0
    for path in candidates:
        if total >= target:
            break
        size = tree_bytes(path)
        if size is None or size == 0:
            continue
        chosen.append(path)
        total += size * (2 if len(chosen) == 1 else 1)  # the first one is also rebuilt
    if total < target:
        raise SystemExit(f"mirror bench: only {total / 1e6:.0f} MB of package trees found on this machine "
                         f"for the big-NAR corpus (want {target / 1e6:.0f} MB)")
    return chosen


# The 32 bytes a simulated rebuild writes: a store hash in Nix's base-32 alphabet.
REBUILD_HASH = b"0123456789abcdfghijklmnpqrsvwxyz"


def perturb(tree):
    """Simulates a rebuild in place: every regular file gets the 32 bytes at its middle replaced
    by another "store hash" (files shorter than 32 bytes: all their bytes). Real package trees
    from Debian embed no /nix/store hashes to rewrite, so this stands in for a rebuild whose
    output path changed: in a Nix rebuild the new hash lands in RPATHs, shebangs, scripts and
    config files all over the tree, i.e. at one spot in (nearly) every file."""
    changed = 0
    for root, _dirs, files in os.walk(tree):
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            size = os.path.getsize(p)
            if size == 0:
                continue
            n = min(32, size)
            offset = (size - n) // 2
            os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
            with open(p, "r+b") as f:
                f.seek(offset)
                old = f.read(n)
                new = bytes(b ^ 0x20 for b in old) if old == REBUILD_HASH[:n] else REBUILD_HASH[:n]
                f.seek(offset)
                f.write(new)
            changed += 1
    print(changed)


def store_name(prefix, path, suffix=""):
    base = "".join(c if NAME_OK.match(c) else "-" for c in os.path.basename(path.rstrip("/")))
    return (prefix + base.lstrip(".") + suffix)[:200]


def many_pools():
    """Kinds of real things a NixOS closure is made of, each a sorted list of (source, name)."""
    pools = []
    pools.append([(p, store_name("", p, "-doc")) for p in real_dirs("/usr/share/doc/*")])
    libs = []
    for p in sorted(glob.glob("/usr/lib/x86_64-linux-gnu/*.so*") + glob.glob("/usr/lib/*.so*")):
        if os.path.isfile(p) and not os.path.islink(p):
            libs.append((p, store_name("", p)))
    pools.append(libs)
    stdlib = []
    for py in real_dirs("/usr/lib/python3.[0-9]*"):
        version = os.path.basename(py)
        for p in sorted(glob.glob(py + "/*")):
            base = os.path.basename(p)
            if base in ("__pycache__", "site-packages", "dist-packages") or os.path.islink(p):
                continue
            if os.path.isdir(p) or base.endswith(".py"):
                stdlib.append((p, store_name(version + "-", p)))
    pools.append(stdlib)
    pools.append([(p, store_name("python3-", p)) for p in real_dirs("/usr/lib/python3/dist-packages/*")
                  if not p.endswith("__pycache__")])
    pools.append([(p, store_name("", p)) for p in sorted(glob.glob("/usr/share/man/man[1-8]/*"))
                  if os.path.isfile(p) and not os.path.islink(p)])
    pools.append([(p, store_name("locale-", p)) for p in real_dirs("/usr/share/locale/*")])
    pools.append([(p, store_name("", p)) for p in sorted(glob.glob("/usr/include/*.h"))
                  if os.path.isfile(p) and not os.path.islink(p)])
    return [pool for pool in pools if pool]


def many_sources(count):
    """count entries, taken round-robin from the pools so every kind is in the mix."""
    chosen, seen = [], set()
    iters = [iter(pool) for pool in many_pools()]
    while len(chosen) < count and iters:
        for it in list(iters):
            entry = next(it, None)
            if entry is None:
                iters.remove(it)
                continue
            src, name = entry
            if src in seen or not SOURCE_OK.match(src) or not name:
                continue
            size = tree_bytes(src)
            if size is None or size > MAX_MANY_ENTRY:
                continue
            seen.add(src)
            chosen.append((src, name, os.path.isdir(src)))
            if len(chosen) == count:
                break
    if len(chosen) < count:
        raise SystemExit(f"mirror bench: only {len(chosen)} usable files and directories found for the "
                         f"many-paths corpus (want {count})")
    return chosen


BUILDER = r"""set -e
if [ -d "$src" ]; then
  cp -a "$src" "$out"
  chmod u+w "$out"
  if [ -n "$refs" ]; then
    mkdir "$out/nix-support"
    for r in $refs; do echo "$r"; done > "$out/nix-support/propagated-build-inputs"
  fi
else
  cp "$src" "$out"
fi
"""

ROOT_BUILDER = r"""set -e
mkdir -p "$out/sw"
for r in $refs; do echo "$r"; done > "$out/sw/manifest"
"""


def nix_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${") + '"'


def many_nix(out_file, count, seed):
    """Writes one Nix file of count derivations plus a root, built by ONE nix-build (one evaluation,
    one build loop; 1,500 nix-build invocations would spend most of their time starting Nix).
    Directories reference 0-3 earlier paths (named in nix-support/propagated-build-inputs, so Nix
    records them as references); plain files reference nothing (their bytes stay the machine's).
    The root references every path nothing else references, so its closure is the whole corpus:
    the shape of a NixOS system closure."""
    sources = many_sources(count)
    rng = random.Random(seed)
    refs, referenced, depth, dirs = [], set(), [], []
    for i, (_src, _name, is_dir) in enumerate(sources):
        k = rng.choices([0, 1, 2, 3], weights=[20, 30, 25, 25])[0] if is_dir else 0
        chosen = set()
        if k and dirs:
            # The first reference is one of the directories made just before (a package's main
            # dependency): that builds the depth of a real desktop closure, 20-30 levels, which
            # uniform picks among mostly-leaf files would not (about 10).
            chosen.add(rng.choice(dirs[-40:]))
        others = [j for j in range(i) if j not in chosen]
        chosen.update(rng.sample(others, max(0, min(k - len(chosen), len(others)))))
        chosen = sorted(chosen)
        refs.append(chosen)
        referenced.update(chosen)
        depth.append(1 + max((depth[j] for j in chosen), default=0))
        if is_dir:
            dirs.append(i)
    tops = [i for i in range(len(sources)) if i not in referenced]
    lines = [
        "# Generated by ops/bench/mirror (ops/bench/lib/mirror_corpus.py many-nix); do not edit.",
        "let",
        "  mk = name: src: refs: derivation {",
        "    inherit name src refs;",
        "    system = builtins.currentSystem;",
        '    builder = "/bin/sh";',
        '    PATH = "/usr/bin:/bin";',
        f"    args = [ \"-c\" {nix_string(BUILDER)} ];",
        "  };",
    ]
    for i, (src, name, _is_dir) in enumerate(sources):
        lines.append(f"  p{i} = mk {nix_string(name)} {nix_string(src)} [ {' '.join(f'p{j}' for j in refs[i])} ];")
    lines += [
        "in derivation {",
        '  name = "nixos-system-narflow-bench";',
        "  system = builtins.currentSystem;",
        '  builder = "/bin/sh";',
        '  PATH = "/usr/bin:/bin";',
        f"  args = [ \"-c\" {nix_string(ROOT_BUILDER)} ];",
        f"  refs = [ {' '.join(f'p{i}' for i in tops)} ];",
        "}",
    ]
    with open(out_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    dirs = sum(1 for s in sources if s[2])
    print(f"{len(sources)} paths ({dirs} directories, {len(sources) - dirs} files) under one root "
          f"referencing {len(tops)}; {sum(map(len, refs))} references; closure depth {max(depth) + 1}")


def cache_stats(cache_dir):
    """Paths, NAR bytes and compressed bytes of a binary cache, from its narinfos."""
    paths = nar = compressed = 0
    for p in glob.glob(os.path.join(cache_dir, "*.narinfo")):
        fields = dict(line.split(": ", 1) for line in open(p).read().splitlines() if ": " in line)
        paths += 1
        nar += int(fields["NarSize"])
        compressed += int(fields.get("FileSize") or os.path.getsize(os.path.join(cache_dir, fields["URL"])))
    print(json.dumps({"paths": paths, "nar_bytes": nar, "compressed_bytes": compressed}))


def gnu_time(path):
    """Wall, CPU and peak RSS from a `/usr/bin/time -v -o FILE` report; None if there is none."""
    if not path or not os.path.exists(path):
        return None
    text = open(path).read()
    def field(label):
        m = re.search(re.escape(label) + r".*?: (\S+)\s*$", text, re.M)
        return m.group(1) if m else None
    wall = field("Elapsed (wall clock) time")
    if wall is None:
        return None
    seconds = 0.0
    for part in wall.split(":"):
        seconds = seconds * 60 + float(part)
    return {"wall": seconds, "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
            "rss_kb": int(field("Maximum resident set size (kbytes)"))}


def report(*json_files):
    """One table per corpus; returns non-zero when a step failed (the figures are then partial)."""
    failed = False
    for jf in json_files:
        r = json.load(open(jf))
        up = r["upstream"]
        nar_gb = up["nar_bytes"] / 1e9
        tools = {"narflow": r["narflow"], "nix copy": r["nixcopy"]}
        times = {k: gnu_time(v.get("time_file")) if v.get("rc") == 0 else None for k, v in tools.items()}
        print()
        print(f"== {r['title']}: {up['paths']:,} paths, {r['compression']}, {up['nar_bytes'] / 1e6:,.1f} MB of NAR, "
              f"{up['compressed_bytes'] / 1e6:,.1f} MB upstream ({r['upstream_url']}) ==")
        print(f"   corpus: {r['corpus_note']}")
        for name, t in tools.items():
            if t.get("rc") != 0:
                failed = True
                where = f" (log: {t['log']})" if os.path.exists(t.get("log", "")) else ""
                print(f"   {name}: FAILED: {t.get('error') or 'exit ' + str(t.get('rc'))}{where}")
        row = "   %-36s %14s %14s   %s"
        print(row % ("", "narflow", "nix copy", "target"))
        def cells(fn, fmt):
            return [fmt % fn(times[k]) if times[k] else "n/a" for k in tools]
        print(row % ("wall time, s", *cells(lambda t: t["wall"], "%.2f"), ""))
        ratio = times["narflow"]["wall"] / times["nix copy"]["wall"] if all(times.values()) else None
        target = r["wall_ratio_target"]
        verdict = "" if ratio is None else ("  met" if ratio <= target else "  MISSED")
        print(row % ("wall ratio narflow / nix copy", "n/a" if ratio is None else f"{ratio:.2f}", "",
                     f"<= {target}{verdict}"))
        print(row % ("paths/s", *cells(lambda t: up["paths"] / t["wall"], "%.1f"), ""))
        print(row % ("NAR MB/s", *cells(lambda t: up["nar_bytes"] / 1e6 / t["wall"], "%.1f"), ""))
        print(row % ("CPU s per NAR GB", *cells(lambda t: t["cpu"] / nar_gb, "%.1f"), ""))
        rss = times["narflow"]["rss_kb"] / 1024 if times["narflow"] else None
        rss_verdict = "" if rss is None else ("  met" if rss <= 1024 else "  MISSED")
        print(row % ("peak RSS, MiB", *cells(lambda t: t["rss_kb"] / 1024, "%.0f"), f"<= 1024 (narflow){rss_verdict}"))
        nf, nc = r["narflow"], r["nixcopy"]
        stored = (nf.get("chunk_bytes", 0) + nf.get("index_bytes", 0)) if nf.get("rc") == 0 else None
        print(row % ("stored MB (chunks+index; nix: store)",
                     "n/a" if stored is None else f"{stored / 1e6:,.1f}",
                     f"{nc['store_bytes'] / 1e6:,.1f}" if nc.get("rc") == 0 else "n/a",
                     f"upstream {up['compressed_bytes'] / 1e6:,.1f} MB {r['compression']}"))
        if stored is not None:
            print(row % ("  chunks / index topic log, MB", f"{nf['chunk_bytes'] / 1e6:,.1f} / {nf['index_bytes'] / 1e6:,.1f}", "", ""))
            print(row % ("stored / upstream compressed", f"{stored / up['compressed_bytes']:.2f}", "", ""))
        print(row % ("embedded start-up, s", nf.get("startup") or "n/a", "", ""))
    return 1 if failed else 0


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "big-sources":
        print("\n".join(big_sources(args[:1] == ["--small"])))
    elif command == "perturb":
        perturb(args[0])
    elif command == "many-nix":
        many_nix(args[0], int(args[1]), int(args[2]))
    elif command == "cache-stats":
        cache_stats(args[0])
    elif command == "report":
        sys.exit(report(*args))
    else:
        raise SystemExit(f"mirror_corpus.py: unknown command {command}")

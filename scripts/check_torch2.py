#!/usr/bin/env python3
"""Compile what the GPU build compiles against a CUDA LibTorch 2.x, on a machine without one.

The local build uses Debian bookworm's LibTorch 1.13 (CPU). GPU machines build against CUDA
LibTorch 2.x, whose API differs, and their time is short: a build that fails there costs minutes
of a 15-minute lease. This script takes the local build's compile_commands.json and checks every
translation unit the GPU machines build (core/ with the CLI, bench/; tests/core/ with --tests)
against the headers of Debian trixie's libtorch-cuda-dev (LibTorch 2.x built with CUDA: 2.4 MB
of headers, fetched from deb.debian.org once into .cache/torch2). It defines what a CUDA build
defines (VLTUNE_WITH_CUDA, VLTUNE_WITH_CUDA_KERNELS; no VLTUNE_WITH_IMAGE_IO) and runs the
compiler with -fsyntax-only on each. The CUDA toolkit's headers are the machine's (CUDA_HOME,
/usr/local/cuda or nvcc's).

  scripts/check_torch2.py [--build build] [-j N] [--only SUBSTRING ...] [--tests] [--deb FILE | --refresh]

Exit status 0 when every unit compiles, 1 when one doesn't (its first errors printed), 2 when the
check can't run (no build, no headers).
"""

import argparse
import concurrent.futures
import hashlib
import json
import lzma
import os
import shlex
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRROR = "http://deb.debian.org/debian"
SUITE = "trixie"
PACKAGE = "libtorch-cuda-dev"
VERSION_H = "torch/csrc/api/include/torch/version.h"
# What the GPU machines build (scripts/device/setup_deps.sh: VLTUNE_CORE_ONLY, no tests): the
# engine with its CLI, and the benchmarks but the GUI's.
DIRS = ("core/", "bench/")
SKIP = ("bench/gui/",)
TEST_DIRS = ("tests/core/",)
# Defines of the local build that the GPU build doesn't set (it decodes images with stb only).
DROPPED_DEFINES = ("-DVLTUNE_WITH_IMAGE_IO=1",)


def fail(message, status=2):
    print(f"check_torch2: {message}", file=sys.stderr)
    sys.exit(status)


def package_url():
    """The current libtorch-cuda-dev of trixie's contrib, from its Packages index."""
    index = f"{MIRROR}/dists/{SUITE}/contrib/binary-amd64/Packages.xz"
    try:
        with urllib.request.urlopen(index, timeout=60) as r:
            text = lzma.decompress(r.read()).decode("utf-8", "replace")
    except OSError as e:
        fail(f"cannot read {index}: {e} (pass --deb FILE with a downloaded {PACKAGE} .deb)")
    for stanza in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in stanza.splitlines() if ": " in line and not line.startswith(" "))
        if fields.get("Package") == PACKAGE:
            return f"{MIRROR}/{fields['Filename']}", fields["Version"]
    fail(f"{index} lists no {PACKAGE}")


def headers(cache, deb, refresh):
    """The folder holding torch/, ATen/ and c10/ of a CUDA LibTorch 2.x, unpacked into `cache`, and
    its version. The .deb fetched last time serves again (offline too) unless `refresh`."""
    cache.mkdir(parents=True, exist_ok=True)
    if deb is None and not refresh:
        cached = sorted(cache.glob(f"{PACKAGE}_*.deb"), key=lambda p: p.stat().st_mtime)
        deb = cached[-1] if cached else None
    if deb is None:
        url, version = package_url()
        deb = cache / url.rsplit("/", 1)[1]
        if not deb.exists():
            print(f"check_torch2: fetching {PACKAGE} {version} from {url}", file=sys.stderr)
            part = deb.with_suffix(".part")
            with urllib.request.urlopen(url, timeout=300) as r, open(part, "wb") as f:
                shutil.copyfileobj(r, f)
            part.rename(deb)
    deb = Path(deb)
    tree = cache / (deb.stem + ".tree")
    if not (tree / "usr/include" / VERSION_H).exists():
        if shutil.which("dpkg-deb") is None:
            fail("dpkg-deb is needed to unpack the .deb")
        shutil.rmtree(tree, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
    include = tree / "usr/include"
    version = (include / VERSION_H).read_text()
    if not (include / "c10/cuda/CUDAStream.h").exists():
        fail(f"{deb} has no c10/cuda headers: not a CUDA LibTorch")
    parts = {}
    for line in version.splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "#define" and words[1].startswith("TORCH_VERSION_"):
            parts[words[1]] = words[2]
    return include, ".".join(parts.get(f"TORCH_VERSION_{k}", "?") for k in ("MAJOR", "MINOR", "PATCH"))


def cuda_include():
    for candidate in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if candidate and (Path(candidate) / "include/cuda_runtime_api.h").exists():
            return Path(candidate) / "include"
    nvcc = shutil.which("nvcc")
    if nvcc and (Path(nvcc).resolve().parent.parent / "include/cuda_runtime_api.h").exists():
        return Path(nvcc).resolve().parent.parent / "include"
    fail("no CUDA toolkit headers (cuda_runtime_api.h): set CUDA_HOME")


def rewrite(entry, torch_include, cuda_include_dir, dropped=DROPPED_DEFINES):
    """The entry's compiler call (a list, the source file last), reading LibTorch 2.x's headers and
    checking syntax only, without the `dropped` defines; and the header CMake precompiles for it
    (None if none)."""
    args = shlex.split(entry["command"]) if "command" in entry else list(entry["arguments"])
    out, pch, skip = [args[0]], None, False
    for i, a in enumerate(args[1:], 1):
        if skip:
            skip = False
            continue
        if a == "-include" and args[i + 1].endswith("cmake_pch.hxx"):
            pch, skip = Path(entry["directory"], args[i + 1]), True  # precompiled again, against 2.x
            continue
        if a == "-o" or (a == "-isystem" and "torch/csrc/api/include" in args[i + 1]):
            skip = True  # drops the object file and LibTorch 1.13's API folder
            continue
        # Neither debug information nor optimisation matters to a syntax check (and -g would make
        # a precompiled header of LibTorch weigh hundreds of MB).
        if a in ("-c", "-Winvalid-pch", "-g") or a.startswith("-O") or a in dropped or a == entry["file"]:
            continue
        out.append(a)
    return out + [
        "-isystem", str(torch_include), "-isystem", str(torch_include / "torch/csrc/api/include"),
        "-isystem", str(cuda_include_dir),
        "-DVLTUNE_WITH_CUDA=1", "-DVLTUNE_WITH_CUDA_KERNELS=1",
        "-fsyntax-only", entry["file"],
    ], pch


def pch_flags(call):
    """The flags a precompiled header must share with `call`: all but the source file, the
    project's own macros (which the precompiled system headers never read) and its include folders."""
    flags, skip = [], False
    for a in call[:-1]:
        if skip:
            skip = False
            continue
        if a == "-I":
            skip = True
            continue
        if a.startswith("-DVLTUNE_") or a.startswith("-I") or a == "-fsyntax-only":
            continue
        flags.append(a)
    return tuple(flags)


def group_name(torch_include, source, flags):
    """A folder name for one precompiled header: a digest of what it is made from."""
    digest = hashlib.sha256("\0".join([str(torch_include), source.read_text(), *flags]).encode()).hexdigest()
    return digest[:16]


def precompile(source, flags, folder):
    """CMake's precompiled header `source` (its list of system headers) precompiled again with
    `flags`, in `folder`: the header to -include (GCC reads its .gch beside it), or None where that
    fails (the units then parse those headers themselves)."""
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / "cmake_pch.hxx"
    if (folder / "cmake_pch.hxx.gch").exists():
        return header  # made by an earlier run from the same list and flags (the folder's name)
    header.write_text(source.read_text())
    part = folder / "cmake_pch.hxx.gch.part"  # renamed once whole: an interrupted run leaves no .gch
    r = subprocess.run(list(flags) + ["-x", "c++-header", str(header), "-o", str(part)], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"check_torch2: cannot precompile {source} ({r.stderr.strip()[:300]})", file=sys.stderr)
        return None
    part.rename(folder / "cmake_pch.hxx.gch")
    return header


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(ROOT / "build"), help="a configured build folder (compile_commands.json)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--only", nargs="*", default=[], help="check only units whose path contains one of these")
    parser.add_argument("--tests", action="store_true", help="the core's tests too (GPU machines don't build them)")
    parser.add_argument("--deb", help=f"a downloaded {PACKAGE} .deb instead of fetching one")
    parser.add_argument("--refresh", action="store_true", help=f"look for a newer {PACKAGE} than the one fetched before")
    parser.add_argument("--cache", default=str(ROOT / ".cache/torch2"), help="where the headers are unpacked")
    o = parser.parse_args()

    db = Path(o.build) / "compile_commands.json"
    if not db.exists():
        fail(f"{db} is missing: configure the build first (CMAKE_EXPORT_COMPILE_COMMANDS is on in CMakeLists.txt)")
    torch_include, version = headers(Path(o.cache), o.deb, o.refresh)
    cuda = cuda_include()
    units = {}  # a file built into two targets (a test that compiles a bench source) is checked once
    for entry in json.loads(db.read_text()):
        rel = os.path.relpath(entry["file"], ROOT)
        dirs = DIRS + (TEST_DIRS if o.tests else ())
        if (rel.endswith(".cpp") and rel.startswith(dirs) and not rel.startswith(SKIP)
                and (not o.only or any(s in rel for s in o.only))):
            units.setdefault(rel, entry)
    units = sorted(units.items())
    if not units:
        fail(f"no units to check in {db}")
    print(f"check_torch2: {len(units)} units against LibTorch {version} (CUDA) headers, CUDA headers {cuda}", file=sys.stderr)

    # As the build does, each unit reads its target's precompiled header (CMake's list of system
    # headers) first: precompiled once per list and set of flags, against LibTorch 2.x.
    # The tests keep the local build's defines: Qt's moc has already read their slots with them.
    calls = {rel: rewrite(entry, torch_include, cuda, () if rel.startswith(TEST_DIRS) else DROPPED_DEFINES)
             for rel, entry in units}
    groups = sorted({(pch, pch_flags(call)) for call, pch in calls.values() if pch is not None})
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, o.jobs)) as pool:
        headers_by_group = dict(zip(groups, pool.map(
            lambda g: precompile(g[0], g[1], Path(o.cache) / "pch" / group_name(torch_include, *g)), groups)))
    if groups:
        print(f"check_torch2: {len(groups)} precompiled header(s) in {time.monotonic() - start:.0f} s", file=sys.stderr)

    def check(unit):
        rel, entry = unit
        call, pch = calls[rel]
        header = headers_by_group.get((pch, pch_flags(call))) if pch is not None else None
        if header is not None:
            call = call[:-1] + ["-Winvalid-pch", "-include", str(header), call[-1]]
        elif pch is not None:  # not precompiled: its headers parsed in each unit, as the build would see them
            call = call[:-1] + ["-include", str(pch), call[-1]]
        start = time.monotonic()
        r = subprocess.run(call, cwd=entry["directory"], capture_output=True, text=True)
        return rel, r.returncode, r.stderr, time.monotonic() - start

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, o.jobs)) as pool:
        for n, (rel, rc, err, seconds) in enumerate(pool.map(check, units), 1):
            status = "ok" if rc == 0 else "FAILED"
            print(f"[{n}/{len(units)}] {status} {rel} ({seconds:.0f} s)", flush=True)
            if rc != 0:
                failed.append(rel)
                errors = [l for l in err.splitlines() if "error" in l]
                print("\n".join((errors or err.splitlines())[:12]), flush=True)
    if failed:
        print(f"check_torch2: {len(failed)} of {len(units)} units fail against LibTorch {version}: {' '.join(failed)}", file=sys.stderr)
        return 1
    print(f"check_torch2: all {len(units)} units compile against LibTorch {version} (CUDA)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

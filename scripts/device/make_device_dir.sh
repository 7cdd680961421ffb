#!/usr/bin/env bash
# Makes .device/ (git-ignored): what the GPU-box scripts (gpu_check.sh, bench_all.sh,
# bench_decode.sh, bench_train.sh) expect carried to the device machine (run's carry: [".device"]):
#   .device/deps.tar.xz  the core's dependencies unpacked (dpkg -x) from Debian bookworm's .debs:
#                        yaml-cpp, nlohmann-json, sentencepiece (+ protobuf-lite), PCRE2, ICU, stb
#                        and pkgconf (setup_deps.sh unpacks it there)
#   .device/bench/       ../shared/bench: configs, bench_hf.py, the peer's baseline
#   .device/fixtures/    ../shared/fixtures/hf: the model families' tiny checkpoints and references
# Run here, from anywhere in the checkout, on a Debian bookworm machine that reaches its package
# mirror (apt-get download needs no root). A fresh checkout has no .device/: run this before the
# first device call. Refuses when the result would pass run's 64 MiB carry limit.
#   SHARED=../shared (default: beside the checkout)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
DEV="$ROOT/.device"
PACKAGES=(libyaml-cpp-dev libyaml-cpp0.7 nlohmann-json3-dev libsentencepiece-dev libsentencepiece0 libprotobuf-lite32
          libpcre2-dev libpcre2-8-0 libpcre2-16-0 libpcre2-32-0 libpcre2-posix3 libicu-dev libicu72 libstb-dev libstb0
          pkgconf pkgconf-bin libpkgconf3)

for dir in "$SHARED/bench" "$SHARED/fixtures/hf"; do
  [ -d "$dir" ] || { echo "make_device_dir: $dir is missing (set SHARED)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -q "${PACKAGES[@]}" >/dev/null 2>"$work/apt.log") || { cat "$work/apt.log" >&2; exit 1; }
mkdir -p "$work/root"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$work/root"; done
# Only what a build links and includes: no static libraries (ICU's data alone is 31 MB twice), no
# documentation, manuals or translations.
rm -rf "$work/root/usr/share/doc" "$work/root/usr/share/man" "$work/root/usr/share/locale" "$work/root/usr/share/lintian"
find "$work/root" -name '*.a' -type f -delete
find "$work/root" -name '*.so*' -type f -exec strip --strip-unneeded {} + 2>/dev/null || true

mkdir -p "$DEV"
tar cJf "$DEV/deps.tar.xz.new" -C "$work/root" .
mv "$DEV/deps.tar.xz.new" "$DEV/deps.tar.xz"
rm -rf "$DEV/bench" "$DEV/fixtures"
cp -r "$SHARED/bench" "$DEV/bench"
cp -r "$SHARED/fixtures/hf" "$DEV/fixtures"
chmod -R u+w "$DEV/bench" "$DEV/fixtures"  # copies of read-only folders: a later run replaces them

mib=$(( $(du -sb "$DEV" | cut -f1) / 1048576 ))
echo "make_device_dir: $DEV holds ${mib} MiB (deps $(du -h "$DEV/deps.tar.xz" | cut -f1), bench, fixtures)"
if [ "$mib" -ge 64 ]; then
  echo "make_device_dir: over run's 64 MiB carry limit; carry fewer fixture families" >&2
  exit 1
fi

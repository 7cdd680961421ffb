# Sourced by the GPU-box scripts (gpu_check.sh, bench_decode.sh, bench_train.sh): unpacks the
# core's dependencies from .device/deps.tar.xz (Debian bookworm's yaml-cpp, nlohmann-json,
# sentencepiece, PCRE2, ICU, stb and pkgconf, from their .debs), points pkg-config and the loader
# at them, finds the machine's CUDA LibTorch (the torch of its python3), and defines
#   vltune_configure BUILD_DIR [cmake args...]   a Release, core-only configure against them;
#   vltune_build_benchmark TARGET TIMEOUT_S      configures build-cuda with the benchmarks and
#                                                builds TARGET, or reports why not and exits.
# Expects ROOT (the repository) and OUT (the report folder) set, and a log() function.
DEPS="${DEPS:-/tmp/vltune-deps}"
DEPS_TAR="${DEPS_TAR:-$ROOT/.device/deps.tar.xz}"
mkdir -p "$DEPS" && tar xJf "$DEPS_TAR" -C "$DEPS"
sed -i "s|^prefix *= *.*|prefix=$DEPS/usr|" "$DEPS"/usr/lib/x86_64-linux-gnu/pkgconfig/*.pc
export PKG_CONFIG_PATH="$DEPS/usr/lib/x86_64-linux-gnu/pkgconfig"
export LD_LIBRARY_PATH="$DEPS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
PKGCONF="$(command -v pkg-config || echo "$DEPS/usr/bin/pkgconf")"
TORCH_PREFIX="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
CUDA_ARGS=()
[ -d /usr/local/cuda ] && CUDA_ARGS+=(-DCUDAToolkit_ROOT=/usr/local/cuda)

vltune_configure() {  # BUILD_DIR [extra cmake args...]; output in $OUT/configure.log
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DVLTUNE_CORE_ONLY=ON -DVLTUNE_WITH_IMAGE_IO=OFF -DVLTUNE_BUILD_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$DEPS/usr" -DPKG_CONFIG_EXECUTABLE="$PKGCONF" \
    -DVLTUNE_STB_INCLUDE_DIR="$DEPS/usr/include/stb" -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    "${CUDA_ARGS[@]}" "$@" >"$OUT/configure.log" 2>&1
}

vltune_build_benchmark() {  # TARGET TIMEOUT_S; output in $OUT/configure.log and $OUT/build.log
  local target=$1 limit=$2 t0 rc
  t0=$(date +%s)
  vltune_configure build-cuda -DVLTUNE_BUILD_BENCHMARKS=ON || { log "configure FAILED"; tail -40 "$OUT/configure.log"; exit 1; }
  timeout "$limit" cmake --build build-cuda --target "$target" -j"$(nproc)" >"$OUT/build.log" 2>&1
  rc=$?
  log "build rc=$rc in $(( $(date +%s) - t0 )) s"
  [ $rc -ne 0 ] && { grep -E "error|FAILED|undefined reference" "$OUT/build.log" | head -40; exit 1; }
  return 0
}

# Third-party packages of the engine, all from Debian bookworm (or a CUDA LibTorch 2.x on GPU boxes).
# Found once at the top level so their imported targets are visible in every directory.

find_package(Torch REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(PkgConfig REQUIRED)
# Tokenizers: PCRE2 (JIT, Unicode classes) for the split regexes, ICU for normalization and case.
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
# sentencepiece is deliberately NOT found here: only core/text's isolated module may link it
# (see core/CMakeLists.txt and core/text/sentencepiece_abi.h).
if(VLTUNE_WITH_IMAGE_IO)
  # Only these three: highgui drags Qt 5 into the process.
  find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
else()
  find_package(OpenCV QUIET COMPONENTS core imgproc)
endif()


# Windows (MSVC): `cmake --install` makes a folder that runs by double-click (vltune.exe with Qt,
# LibTorch, the other libraries' DLLs and the MSVC runtime beside it), and CPack an NSIS installer
# of that folder. Included from packaging/CMakeLists.txt on WIN32 only; never built on the Linux CI.
# Steps: README.md, "Windows (MSVC, CUDA)".

# Qt's DLLs, plugins (platforms\qwindows.dll, styles, image formats, icon engines) and Qt's own
# translations come from windeployqt, which sits beside qmake in the bin folder of the Qt found.
if(TARGET Qt6::qmake)
  # LOCATION: an imported tool's file for its (only) configuration.
  get_target_property(_vltune_qmake Qt6::qmake LOCATION)
  get_filename_component(_vltune_qmake_dir "${_vltune_qmake}" DIRECTORY)
endif()
find_program(VLTUNE_WINDEPLOYQT windeployqt
  HINTS "${_vltune_qmake_dir}" "${QT6_INSTALL_PREFIX}/${QT6_INSTALL_BINS}"
  DOC "Qt's windeployqt.exe, run on the installed vltune.exe"
  REQUIRED)

# Runs at install time on the installed copy (so also inside CPack's staging folder).
# --no-compiler-runtime: InstallRequiredSystemLibraries below copies the MSVC DLLs themselves, where
# windeployqt would only copy the vc_redist installer.
install(CODE "
  set(_exe \"\${CMAKE_INSTALL_PREFIX}/bin/vltune.exe\")
  message(STATUS \"windeployqt: \${_exe}\")
  execute_process(
    COMMAND \"${VLTUNE_WINDEPLOYQT}\" $<IF:$<CONFIG:Debug>,--debug,--release> --no-compiler-runtime \"\${_exe}\"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR \"windeployqt failed (\${_rc}) on \${_exe}\")
  endif()
")

# LibTorch's DLLs, all of them, as PyTorch's C++ guide does: the CUDA LibTorch brings cudart,
# cuBLAS and cuDNN, and cuDNN loads its parts at run time, so following imports would miss some.
if(NOT TORCH_INSTALL_PREFIX)
  message(FATAL_ERROR "vltune: TORCH_INSTALL_PREFIX is not set; was LibTorch found through its TorchConfig.cmake?")
endif()
file(GLOB _vltune_torch_dlls "${TORCH_INSTALL_PREFIX}/lib/*.dll")
install(FILES ${_vltune_torch_dlls} DESTINATION bin)

# The other libraries' DLLs (OpenCV, yaml-cpp, PCRE2, ICU, ...): the imports of vltune.exe, followed
# recursively and looked up in these folders. Dependency names are matched in lower case on Windows.
set(_vltune_dll_dirs "${TORCH_INSTALL_PREFIX}/lib" "${_vltune_qmake_dir}")
if(DEFINED VCPKG_INSTALLED_DIR AND DEFINED VCPKG_TARGET_TRIPLET)
  list(APPEND _vltune_dll_dirs "${VCPKG_INSTALLED_DIR}/${VCPKG_TARGET_TRIPLET}/bin")
endif()
set(VLTUNE_WINDOWS_DLL_DIRS "" CACHE PATH
    "More folders with DLLs vltune.exe needs (e.g. OpenCV's x64/vc16/bin when it is not from vcpkg)")
install(RUNTIME_DEPENDENCY_SET vltune_runtime_dlls
  DESTINATION bin
  # Windows' own API sets; Qt (windeployqt) and LibTorch (above) are copied already.
  PRE_EXCLUDE_REGEXES "^api-ms-" "^ext-ms-" "^qt6" "^(torch|c10|cu|nv|cudnn|asmjit|fbgemm|libiomp|uv)"
  POST_EXCLUDE_REGEXES ".*system32/.*\\.dll"
  DIRECTORIES ${_vltune_dll_dirs} ${VLTUNE_WINDOWS_DLL_DIRS})

# The MSVC runtime (vcruntime, msvcp, concrt, OpenMP) beside the program, so no vc_redist is needed.
set(CMAKE_INSTALL_SYSTEM_RUNTIME_DESTINATION bin)
set(CMAKE_INSTALL_OPENMP_LIBRARIES ON)
include(InstallRequiredSystemLibraries)

# --- the NSIS installer -------------------------------------------------------------------------
set(CPACK_GENERATOR "NSIS")
set(CPACK_PACKAGE_INSTALL_DIRECTORY "vltune")
set(CPACK_NSIS_PACKAGE_NAME "vltune")
set(CPACK_NSIS_DISPLAY_NAME "vltune ${PROJECT_VERSION}")
# Start menu entry: "vltune" for bin\vltune.exe (the pairs are executable name, label).
set(CPACK_PACKAGE_EXECUTABLES "vltune" "vltune")
set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\vltune.exe")
set(CPACK_NSIS_MUI_FINISHPAGE_RUN "vltune.exe")
# The installer's and uninstaller's icon; NSIS wants .ico (make it from resources/icons/vltune.svg).
set(VLTUNE_WINDOWS_ICON "${PROJECT_SOURCE_DIR}/resources/icons/vltune.ico" CACHE FILEPATH
    "Icon (.ico) of the NSIS installer")
if(EXISTS "${VLTUNE_WINDOWS_ICON}")
  set(CPACK_NSIS_MUI_ICON "${VLTUNE_WINDOWS_ICON}")
  set(CPACK_NSIS_MUI_UNIICON "${VLTUNE_WINDOWS_ICON}")
endif()
# Offer to remove an older vltune first, and to put bin\ on PATH (for vltune-cli).
set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
set(CPACK_NSIS_MODIFY_PATH ON)
# NSIS cannot make installers over 2 GB; the CUDA LibTorch DLLs come close (README: use
# `cpack -G ZIP` for the same folder as a zip when it fails).
set(CPACK_NSIS_COMPRESSOR "/SOLID lzma")

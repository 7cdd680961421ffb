# The one place that fixes the LibTorch + sentencepiece crash before main().
#
# Debian's libsentencepiece exports its own copy of protobuf-lite's symbols. LibTorch pulls the
# full libprotobuf in indirectly (through its ONNX code); when libsentencepiece comes earlier in
# the dynamic symbol search order its protobuf-lite symbols interpose on libprotobuf's and static
# initialisers crash before main(). Making libprotobuf the *first* DT_NEEDED entry of every binary
# that links the core puts the full library first in the search order.
#
# Link options are emitted before the objects and libraries on the link line, and
# --no-as-needed keeps the entry even though the binary itself uses no protobuf symbol.
# tests/core/test_link_order.cpp checks both the order and that such a binary starts.
add_library(vltune_protobuf_first INTERFACE)
find_library(VLTUNE_PROTOBUF_LIBRARY NAMES protobuf)
if(VLTUNE_PROTOBUF_LIBRARY)
  get_filename_component(_vltune_pb_dir "${VLTUNE_PROTOBUF_LIBRARY}" DIRECTORY)
  target_link_options(vltune_protobuf_first INTERFACE
    "-L${_vltune_pb_dir}" "LINKER:--no-as-needed" "-lprotobuf" "LINKER:--as-needed")
  set(VLTUNE_PROTOBUF_FIRST ON CACHE INTERNAL "libprotobuf is linked first")
  message(STATUS "vltune: libprotobuf linked first (${VLTUNE_PROTOBUF_LIBRARY})")
else()
  # Official LibTorch builds carry protobuf statically: nothing to interpose on.
  set(VLTUNE_PROTOBUF_FIRST OFF CACHE INTERNAL "libprotobuf is linked first")
  message(STATUS "vltune: no shared libprotobuf found; link-order fix not needed")
endif()

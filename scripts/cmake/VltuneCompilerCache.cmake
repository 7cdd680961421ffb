# Use ccache when it is installed; never required (a clean machine builds without it).
find_program(VLTUNE_CCACHE ccache)
if(VLTUNE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${VLTUNE_CCACHE}")
  message(STATUS "vltune: compiling through ${VLTUNE_CCACHE}")
endif()

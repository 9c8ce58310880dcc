# Shared by the CLI end-to-end scripts (test_*.cmake); needs RIDGELINE and WORK.
# expect(<exit code> <stderr regex or ""> args...): runs ridgeline, checks code and message.
function(expect code pattern)
  execute_process(COMMAND ${RIDGELINE} ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err WORKING_DIRECTORY ${WORK})
  if(NOT rc EQUAL code)
    message(FATAL_ERROR "ridgeline ${ARGN}: exit ${rc}, expected ${code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  if(pattern AND NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "ridgeline ${ARGN}: stderr does not match '${pattern}':\n${err}")
  endif()
  if(code EQUAL 2)
    # Bad input: exactly one line on stderr.
    string(STRIP "${err}" e)
    string(FIND "${e}" "\n" nl)
    if(NOT nl EQUAL -1)
      message(FATAL_ERROR "ridgeline ${ARGN}: expected one error line, got:\n${err}")
    endif()
  endif()
  set(LAST_OUT "${out}" PARENT_SCOPE)
  set(LAST_ERR "${err}" PARENT_SCOPE)
endfunction()

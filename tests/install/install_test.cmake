# SPDX-License-Identifier: MIT
# Installs the build into a temporary prefix and uses the installed copy as
# a program would: checks the files (libraries, SONAME, exported symbols,
# headers, softsgx.pc, the command, the man page, the preload library and
# what it exports), runs `softsgx exec` of the installed copy, builds consumer.c
# through `pkg-config --cflags --libs softsgx` (shared) and
# `pkg-config --static` (static) and runs both, the shared one with
# SOFTSGX_TRACE set. Run by CTest (tests/install/CMakeLists.txt passes the
# variables); any failure stops with a message that names the step.
cmake_minimum_required(VERSION 3.20)

set(prefix "${BUILD_DIR}/install-test")
set(libdir "${prefix}/${LIBDIR}")
set(san_flags "")
if(SANITIZE)
  set(san_flags "-fsanitize=${SANITIZE}")
endif()

# Run a command; stop with its output if it fails. Its stdout lands in `out`.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n  ${cmd}\n${o}${e}")
  endif()
  set(out "${o}" PARENT_SCOPE)
endfunction()

function(expect_file path)
  if(NOT EXISTS "${prefix}/${path}")
    message(FATAL_ERROR "not installed: ${path}")
  endif()
endfunction()

file(REMOVE_RECURSE "${prefix}")
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# The files.
foreach(f bin/softsgx ${LIBDIR}/libsoftsgx.a ${LIBDIR}/libsoftsgx.so
          ${LIBDIR}/libsoftsgx.so.${SOVERSION} ${LIBDIR}/libsoftsgx.so.${VERSION}
          ${LIBDIR}/pkgconfig/softsgx.pc ${LIBDIR}/libsoftsgx-preload.so)
  expect_file(${f})
endforeach()
file(GLOB headers RELATIVE ${SOURCE_DIR}/include ${SOURCE_DIR}/include/softsgx/*.h)
foreach(h ${headers})
  expect_file(include/${h})
endforeach()
if(EXISTS ${SOURCE_DIR}/docs/softsgx.1)
  expect_file(${MANDIR}/man1/softsgx.1)
endif()

# The SONAME, and only the public API exported.
run("readelf -d" readelf -d ${libdir}/libsoftsgx.so)
if(NOT out MATCHES "Library soname: \\[libsoftsgx\\.so\\.${SOVERSION}\\]")
  message(FATAL_ERROR "SONAME is not libsoftsgx.so.${SOVERSION}:\n${out}")
endif()
run("nm -D" nm -D --defined-only ${libdir}/libsoftsgx.so)
string(REGEX MATCHALL "[^\n]+" symbols "${out}")
foreach(line ${symbols})
  if(NOT line MATCHES " (softsgx_|sgx_measure_|sgx_sigstruct_|sgx_sign_)[a-z_0-9]+$")
    message(FATAL_ERROR "libsoftsgx.so exports a non-API symbol: ${line}")
  endif()
endforeach()
if(NOT out MATCHES " softsgx_trace_open\n")
  message(FATAL_ERROR "libsoftsgx.so does not export softsgx_trace_open:\n${out}")
endif()

# The preload library exports the C library's names it interposes, none of softsgx's.
run("nm -D preload" nm -D --defined-only ${libdir}/libsoftsgx-preload.so)
foreach(name open ioctl mmap dlsym getauxval sigaction)
  if(NOT out MATCHES " ${name}\n")
    message(FATAL_ERROR "libsoftsgx-preload.so does not export ${name}:\n${out}")
  endif()
endforeach()
if(out MATCHES " (softsgx_|sgx_)[a-z_0-9]+\n")
  message(FATAL_ERROR "libsoftsgx-preload.so exports softsgx's own names:\n${out}")
endif()
# The installed softsgx exec finds the installed preload library (an uninstrumented
# system program cannot take a sanitizer build's).
if(NOT SANITIZE)
  run("softsgx exec (installed)" ${prefix}/bin/softsgx exec -- ls -l /dev/sgx_enclave)
  if(NOT out MATCHES "^crw-rw-rw- ")
    message(FATAL_ERROR "softsgx exec ls -l /dev/sgx_enclave: not a character device:\n${out}")
  endif()
endif()

# pkg-config finds it; its version is the project's.
set(ENV{PKG_CONFIG_PATH} "${libdir}/pkgconfig")
run("pkg-config --modversion" pkg-config --modversion softsgx)
string(STRIP "${out}" got)
if(NOT got STREQUAL VERSION)
  message(FATAL_ERROR "pkg-config says version ${got}, expected ${VERSION}")
endif()
run("pkg-config --cflags --libs" pkg-config --cflags --libs softsgx)
separate_arguments(pc_flags UNIX_COMMAND "${out}")

# A program against the shared library (the test enclave's ABI header is not installed).
run("building against libsoftsgx.so"
    ${C_COMPILER} -std=gnu11 -Wall -Werror ${san_flags} -I${SOURCE_DIR}/enclaves
    ${SOURCE_DIR}/tests/install/consumer.c ${pc_flags} -Wl,-rpath,${libdir}
    -o ${prefix}/consumer)
run("readelf -d consumer" readelf -d ${prefix}/consumer)
if(NOT out MATCHES "Shared library: \\[libsoftsgx\\.so\\.${SOVERSION}\\]")
  message(FATAL_ERROR "consumer is not linked to libsoftsgx.so.${SOVERSION}:\n${out}")
endif()
set(ENV{SOFTSGX_TRACE} "${prefix}/consumer-trace.json")
run("running consumer (shared)" ${prefix}/consumer ${TEST_ENCLAVE})
unset(ENV{SOFTSGX_TRACE})
message(STATUS "${out}")
file(READ "${prefix}/consumer-trace.json" trace)
if(NOT trace MATCHES "^{\"traceEvents\":\\[" OR NOT trace MATCHES "\n\\]}\n$" OR
   NOT trace MATCHES "\"name\":\"EENTER\"" OR NOT trace MATCHES "\"name\":\"fault eaug\"")
  message(FATAL_ERROR "SOFTSGX_TRACE gave no trace of the run in ${prefix}/consumer-trace.json")
endif()

# The same program against the static library.
run("pkg-config --static" pkg-config --static --cflags --libs softsgx)
separate_arguments(pc_flags UNIX_COMMAND "${out}")
list(REMOVE_ITEM pc_flags -lsoftsgx)
run("building against libsoftsgx.a"
    ${C_COMPILER} -std=gnu11 -Wall -Werror ${san_flags} -I${SOURCE_DIR}/enclaves
    ${SOURCE_DIR}/tests/install/consumer.c ${libdir}/libsoftsgx.a ${pc_flags}
    -o ${prefix}/consumer-static)
run("readelf -d consumer-static" readelf -d ${prefix}/consumer-static)
if(out MATCHES "libsoftsgx")
  message(FATAL_ERROR "consumer-static needs a shared libsoftsgx:\n${out}")
endif()
run("running consumer (static)" ${prefix}/consumer-static ${TEST_ENCLAVE})
message(STATUS "${out}")
message(STATUS "installed copy in ${prefix} works")

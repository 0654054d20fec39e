# CMake toolchain file for native x86_64-linux-gnu builds in the repro build image.
# Installed as /opt/toolchains/x86_64-linux-gnu/{target,host}_x86_64-linux-gnu.cmake and named by
# ${CMAKE_TARGET_TOOLCHAIN} / ${CMAKE_HOST_TOOLCHAIN}, as in BinaryBuilder:
#   cmake -DCMAKE_INSTALL_PREFIX=${prefix} -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TARGET_TOOLCHAIN} ..
# The build is native, so CMAKE_SYSTEM_NAME is left unset (CMake does not enter cross mode).
set(CMAKE_C_COMPILER /usr/bin/gcc)
set(CMAKE_CXX_COMPILER /usr/bin/g++)
set(CMAKE_ASM_NASM_COMPILER /usr/bin/nasm)
set(CMAKE_AR /usr/bin/ar CACHE FILEPATH "ar")
set(CMAKE_RANLIB /usr/bin/ranlib CACHE FILEPATH "ranlib")
set(CMAKE_STRIP /usr/bin/strip CACHE FILEPATH "strip")
set(CMAKE_LINKER /usr/bin/ld CACHE FILEPATH "ld")
set(CMAKE_INSTALL_PREFIX "$ENV{prefix}" CACHE PATH "install prefix")
list(APPEND CMAKE_PREFIX_PATH "$ENV{prefix}")
set(CMAKE_INSTALL_LIBDIR lib CACHE PATH "libdir")

# SPDX-License-Identifier: Apache-2.0
# Cross build for 64-bit Arm Linux from an x86-64 Debian machine:
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
# Needs Debian's cross compilers (gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu) and the arm64
# multiarch -dev packages (dpkg --add-architecture arm64; libabsl-dev:arm64 and the others that
# scripts/install-deps names), which install under /usr/lib/aarch64-linux-gnu beside the host's.
# Binaries run on this machine under qemu-user (binfmt_misc), so try_run and the tests can run
# them; CMAKE_CROSSCOMPILING_EMULATOR says so explicitly for CTest.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
find_program(LEAKSCOPE_QEMU_AARCH64 qemu-aarch64-static)
if(LEAKSCOPE_QEMU_AARCH64)
  # -L: where the emulated dynamic loader and libraries are (the multiarch root is /).
  set(CMAKE_CROSSCOMPILING_EMULATOR ${LEAKSCOPE_QEMU_AARCH64} -L /)
endif()

# Headers and libraries from the arm64 multiarch directories only; programs (protoc-like tools,
# javac, pkg-config itself) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)

# pkg-config must describe arm64 libraries: Debian's per-triplet directories, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

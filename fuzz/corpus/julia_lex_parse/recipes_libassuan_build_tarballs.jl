# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Libassuan"
version = v"2.5.5"

# Collection of sources required to build libassuan. The GnuPG release tarball is
# byte-identical to Debian's libassuan_2.5.5.orig.tar.bz2.
sources = [
    ArchiveSource("https://gnupg.org/ftp/gcrypt/libassuan/libassuan-$(version).tar.bz2",
                  "8e8c2fcc982f9ca67dcbb1d95e2dc746b1739a4668bc20b3a3c5be632edb34e4"),
]

# Bash recipe for building across all platforms. libassuan 2.5.5's `configure` finds
# libgpg-error through `gpgrt-config` on PATH only. BinaryBuilder appends `${bindir}` (the
# dependencies' tools) to PATH; the build environment here does not, so the script does.
script = raw"""
cd $WORKSPACE/srcdir/libassuan-*

export PATH="${PATH}:${bindir}"
export CPPFLAGS="-I${includedir}"
./configure --prefix=${prefix} --host=${target} --build=${MACHTYPE} "${FLAGS[@]}"
make -j${nproc}
make install

install_license ${WORKSPACE}/srcdir/libassuan-*/COPYING.LIB
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line.
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct(["libassuan", "libassuan6"], :libassuan),
]

# Dependencies that must be installed before this package can be built
dependencies = [
    Dependency("Libgpg_error_jll"; compat="1.46"),
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies;
               julia_compat="1.6")

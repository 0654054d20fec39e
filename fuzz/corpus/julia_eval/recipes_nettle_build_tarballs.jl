# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Nettle"
version = v"3.8.1"

# Collection of sources required to build Nettle. The GNU release tarball is byte-identical to
# Debian's nettle_3.8.1.orig.tar.gz.
sources = [
    ArchiveSource("https://ftp.gnu.org/gnu/nettle/nettle-$(version).tar.gz",
                  "364f3e2b77cd7dcde83fd7c45219c834e54b0c75e428b6f894a23d12dd41cbfe"),
]

# Bash recipe for building across all platforms. Unlike Yggdrasil's Nettle, this builds without
# GMP (no dependency on GMP_jll), so the public-key library libhogweed is not built.
script = raw"""
cd $WORKSPACE/srcdir/nettle-*/
./configure --prefix=${prefix} --build=${MACHTYPE} --host=${target} --libdir=${libdir} \
    --disable-public-key --disable-openssl --disable-documentation --disable-static
make -j${nproc}
make install
install_license COPYING.LESSERv3 COPYINGv2 COPYINGv3
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libnettle", :libnettle),
    ExecutableProduct("nettle-hash", :nettle_hash),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

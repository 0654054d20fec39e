# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Libffi"
version = v"3.4.4"

# Collection of sources required to build libffi. The release tarball (a release asset, not a
# GitHub auto-generated archive) is byte-identical to Debian's libffi_3.4.4.orig.tar.gz.
sources = [
    ArchiveSource("https://github.com/libffi/libffi/releases/download/v$(version)/libffi-$(version).tar.gz",
                  "d66c56ad259a82cf2a9dfc408b32bf5da52371500b84745f7fb8b645712df676"),
]

# Bash recipe for building across all platforms
script = raw"""
cd $WORKSPACE/srcdir/libffi-*/
./configure --prefix=${prefix} --build=${MACHTYPE} --host=${target} \
    --enable-shared --disable-static --disable-docs --disable-multi-os-directory
make -j${nproc}
make install
install_license LICENSE
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libffi", :libffi),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

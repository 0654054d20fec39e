# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "libvorbis"
version = v"1.3.7"

# Collection of sources required to build libvorbis. The release tarball is byte-identical to
# Debian's libvorbis_1.3.7.orig.tar.gz (Yggdrasil downloads the .tar.xz of the same release).
sources = [
    ArchiveSource("https://downloads.xiph.org/releases/vorbis/libvorbis-$(version).tar.gz",
                  "0e982409a9c3fc82ee06e08205b1355e5c6aa4c36bca58146ef399621b0ce5ab"),
]

# Bash recipe for building across all platforms. Yggdrasil also applies `stdint.patch` for
# libogg 1.3.4's headers; Ogg 1.3.5 (recipes/ogg) has that fix, so no patch is needed.
script = raw"""
cd $WORKSPACE/srcdir/libvorbis-*

# Force `./configure` to repent from using `-ffast-math`
sed -ie 's/-ffast-math//g' ./configure

./configure --prefix=$prefix --host=$target --build=${MACHTYPE} --disable-static
make -j${nproc}
make install
# Remove large docs directory
rm -r "${prefix}/share/doc"
install_license COPYING
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libvorbis", :libvorbis),
    LibraryProduct("libvorbisenc", :libvorbisenc),
    LibraryProduct("libvorbisfile", :libvorbisfile),
]

# Dependencies that must be installed before this package can be built
dependencies = [
    Dependency("Ogg_jll"),
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

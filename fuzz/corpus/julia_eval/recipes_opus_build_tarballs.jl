# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Opus"
version_string = "1.3.1"
version = VersionNumber(version_string)

# Collection of sources required to build Opus. The release tarball is byte-identical to
# Debian's opus_1.3.1.orig.tar.gz.
sources = [
    ArchiveSource("https://downloads.xiph.org/releases/opus/opus-$(version_string).tar.gz",
                  "65b58e1e25b2a114157014736a3d9dfeaad8d41be1c8179866f144a2fb44ff9d"),
]

# Bash recipe for building across all platforms. As Yggdrasil's, plus `--disable-doc
# --disable-extra-programs` (no API documentation, no demo programs) and `install_license`.
script = raw"""
cd $WORKSPACE/srcdir/opus*

if [[ ${target} == *musl* ]]; then
    # On musl, disable stack protection (https://www.openwall.com/lists/musl/2018/09/11/2)
    STACK_PROTECTOR="--disable-stack-protector"
elif [[ "${target}" == *-mingw* ]]; then
    # See https://github.com/msys2/MINGW-packages/issues/5868#issuecomment-544107564
    export LDFLAGS="-lssp"
fi

./configure --prefix=$prefix --host=$target --build=${MACHTYPE} \
            --disable-static \
            --enable-custom-modes \
            --disable-doc \
            --disable-extra-programs \
            ${STACK_PROTECTOR}
make -j${nproc}
make install
install_license COPYING
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libopus", :libopus),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; preferred_gcc_version=v"8", julia_compat="1.6")

# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder, Pkg

name = "opusfile"
version = v"0.12.0"

# Collection of sources required to complete build. The release asset is byte-identical to
# Debian's opusfile_0.12.orig.tar.gz (and has the sha256 Yggdrasil pins).
sources = [
    ArchiveSource("https://github.com/xiph/opusfile/releases/download/v$(version.major).$(version.minor)/opusfile-$(version.major).$(version.minor).tar.gz",
                  "118d8601c12dd6a44f52423e68ca9083cc9f2bfe72da7a8c1acb22a80ae3550b"),
]

# Bash recipe for building across all platforms. Unlike Yggdrasil's, built with `--disable-http`
# and so without OpenSSL_jll: libopusurl is still built, without its http(s) streams. No
# examples, no API documentation.
script = raw"""
cd $WORKSPACE/srcdir/opusfile-*

./configure --prefix=${prefix} --build=${MACHTYPE} --host=${target} --with-pic \
    --disable-http --disable-examples --disable-doc
make -j${nproc}
make install
install_license COPYING
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line. (Yggdrasil writes the same list as
# `filter!(!Sys.isfreebsd, supported_platforms())`.)
platforms = supported_platforms(; exclude=Sys.isfreebsd)

# The products that we will ensure are always built
products = [
    LibraryProduct("libopusurl", :libopusurl),
    LibraryProduct("libopusfile", :libopusfile)
]

# Dependencies that must be installed before this package can be built
dependencies = [
    Dependency(PackageSpec(name="Ogg_jll", uuid="e7412a2a-1a6e-54c0-be00-318e2571c051")),
    Dependency(PackageSpec(name="Opus_jll", uuid="91d4177d-7536-5919-b921-800302f37372")),
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

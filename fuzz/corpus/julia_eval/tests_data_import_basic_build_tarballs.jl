# A small recipe in the shape of Yggdrasil's: every common construct, nothing unusual.
using BinaryBuilder

name = "Tinylib"
version = v"1.4.2"

# Collection of sources required to complete build
sources = [
    ArchiveSource("https://example.org/releases/tinylib-$(version).tar.xz",
                  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
]

# Bash recipe for building across all platforms
script = raw"""
cd $WORKSPACE/srcdir/tinylib-*
./configure --prefix=${prefix} --build=${MACHTYPE} --host=${target}
make -j${nproc}
make install
install_license COPYING
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libtiny", :libtiny),
    LibraryProduct(["libtinyx", "libtinyx2"], :libtinyx),
    ExecutableProduct("tinytool", :tinytool),
    ExecutableProduct("tinyhelper", :tinyhelper, "libexec"),
    FileProduct("lib/libtiny.a", :libtiny_a),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies;
               julia_compat="1.6", preferred_gcc_version=v"8")

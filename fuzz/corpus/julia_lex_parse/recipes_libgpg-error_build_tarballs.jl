# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Libgpg_error"
version_string = "1.46"
version = VersionNumber(version_string)

# Collection of sources required to build Libgpg-Error. The GnuPG release tarball is
# byte-identical to Debian's libgpg-error_1.46.orig.tar.bz2.
sources = [
    ArchiveSource("https://gnupg.org/ftp/gcrypt/libgpg-error/libgpg-error-$(version_string).tar.bz2",
                  "b7e11a64246bbe5ef37748de43b245abd72cfcd53c9ae5e7fc5ca59f1c81268d"),
]

# Bash recipe for building across all platforms. Yggdrasil patches `configure.ac` (always use
# the lock files in `src/syscfg`), copies lock files for musl and FreeBSD, and runs `autoreconf`
# with Gettext_jll's `msgfmt`. For x86_64-linux-gnu the shipped lock file and `configure` serve
# as they are, so this script runs the release's `configure` unpatched, without the
# documentation and the tests.
script = raw"""
cd $WORKSPACE/srcdir/libgpg-error-*/

# Use libgpg-specific mapping for triplets
TARGET="${target}"
if [[ "${target}" == *-apple-darwin* ]]; then
    TARGET="$(echo "${target}" | cut -d- -f1)-apple-darwin"
fi

./configure --prefix=${prefix} --host=${TARGET} --build=${MACHTYPE} --disable-doc --disable-tests
make -j${nproc}
make install
install_license COPYING.LIB
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line.
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct(["libgpg-error", "libgpg-error6"], :libgpg_error),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies;
               julia_compat="1.6")

# Note that this script can accept some limited command-line arguments, run
# `julia build_tarballs.jl --help` to see a usage message.
using BinaryBuilder

name = "Bzip2"
version = v"1.0.8"

# Collection of sources required to build bzip2. The upstream release tarball is byte-identical
# to Debian's bzip2_1.0.8.orig.tar.gz, so the offline mirror can serve it.
sources = [
    ArchiveSource("https://sourceware.org/pub/bzip2/bzip2-$(version).tar.gz",
                  "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269"),
]

# Bash recipe for building across all platforms
script = raw"""
cd $WORKSPACE/srcdir/bzip2-*/
VERSION=1.0.8

# Override stubborn makevars
CFLAGS="-Wall -Winline -O2 -g -D_FILE_OFFSET_BITS=64 -fPIC"
OBJS="blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o"
make CC="${CC}" AR="${AR}" RANLIB="${RANLIB}" CFLAGS="${CFLAGS}" -j${nproc} ${OBJS}
if [[ "${target}" == *-mingw* ]]; then
    # The Makefile's install copies `bzip2` and `bzip2recover`, but the MinGW linker writes
    # `bzip2.exe`: build them first under the names the Makefile expects.
    make CC="${CC}" AR="${AR}" RANLIB="${RANLIB}" CFLAGS="${CFLAGS}" bzip2 bzip2recover
    for e in bzip2 bzip2recover; do mv "${e}${exeext}" "${e}"; done
fi
make CC="${CC}" AR="${AR}" RANLIB="${RANLIB}" CFLAGS="${CFLAGS}" PREFIX=${prefix} install
if [[ "${target}" == *-mingw* ]]; then
    for e in bzip2 bunzip2 bzcat bzip2recover; do mv "${bindir}/${e}" "${bindir}/${e}${exeext}"; done
fi

# The Makefile links bzcmp & co. with absolute paths; make them relative
# (BinaryBuilder's audit does the same).
for l in bzcmp bzegrep bzfgrep bzless; do
    ln -sf "$(basename "$(readlink "${bindir}/${l}")")" "${bindir}/${l}"
done

# Build the shared library
if [[ "${target}" == *-mingw* ]]; then
    ${CC} -shared -o libbz2-1.dll ${OBJS}
    ln -s libbz2-1.dll libbz2.dll
else
    ${CC} -shared -Wl,-soname -Wl,libbz2.so.1.0 -o "libbz2.so.${VERSION}" ${OBJS}
    ln -s "libbz2.so.${VERSION}" libbz2.so.1.0
    ln -s "libbz2.so.${VERSION}" libbz2.so.1
    ln -s "libbz2.so.${VERSION}" libbz2.so
fi
mkdir -p ${libdir}
mv libbz2*.${dlext}* ${libdir}/.

# Add pkg-config file
mkdir -p ${prefix}/lib/pkgconfig
cat << PCEOF > ${prefix}/lib/pkgconfig/bzip2.pc
prefix=${prefix}
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: bzip2
Description: bzip2 compression library
Version: ${VERSION}

Requires:
Libs: -L\${libdir} -lbz2
Cflags: -I\${includedir}
PCEOF

install_license LICENSE
"""

# These are the platforms we will build for by default, unless further
# platforms are passed in on the command line
platforms = supported_platforms()

# The products that we will ensure are always built
products = [
    LibraryProduct("libbz2", :libbzip2),
    ExecutableProduct("bzip2", :bzip2),
]

# Dependencies that must be installed before this package can be built
dependencies = Dependency[
]

# Build the tarballs, and possibly a `build.jl` as well.
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

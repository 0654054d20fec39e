using BinaryBuilder

name = "Multisource"
version = v"0.3.0"

sources = [
    ArchiveSource("https://example.org/multi-$(version).tar.gz",
                  "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";
                  unpack_target="multi"),
    GitSource("https://github.com/example/helper.git",
              "0123456789abcdef0123456789abcdef01234567"),
    GitSource("https://github.com/example/other.git",
              "89abcdef0123456789abcdef0123456789abcdef", unpack_target="deps/other"),
    FileSource("https://example.org/data/table-$version.dat",
               "fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9";
               filename="table.dat"),
    DirectorySource("./bundled"),
    DirectorySource("./bundled/patches"; target="patches"),
]

script = raw"""
cd ${WORKSPACE}/srcdir/multi
atomic_patch -p1 ../patches/fix.patch
make install PREFIX=${prefix}
"""

platforms = [Platform("x86_64", "linux"; libc="glibc")]

products = [LibraryProduct("libmulti", :libmulti)]

dependencies = []

build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

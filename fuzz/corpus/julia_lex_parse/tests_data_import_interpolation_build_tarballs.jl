using BinaryBuilder

name = "Interp"
version = v"4.0.1"
soversion = 4

sources = [
    ArchiveSource("https://example.org/interp/v$(version.major)/interp-$version.tar.bz2",
                  "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"),
]

# Known variables are resolved; `$DESTDIR`-style names are not Julia variables.
script = """
cd \$WORKSPACE/srcdir/interp-$(version)
make SOVERSION=$(soversion) NAME=$(lowercase(name)) DESTDIR=$DESTDIR install
echo $(string(version.major, ".", version.minor))
"""

platforms = [Platform("x86_64", "linux")]
products = [LibraryProduct("libinterp", :libinterp)]
dependencies = Dependency[]

build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

using BinaryBuilder

name = "Versioned"
upstream_version = v"2.6.4"
# Rebuilds bump `offset`; the version is computed, as some Yggdrasil recipes do.
offset = 1
version = VersionNumber(upstream_version.major, upstream_version.minor, 100 * upstream_version.patch + offset)

sources = [
    ArchiveSource("https://example.org/R_$(upstream_version.major)_$(upstream_version.minor)_$(upstream_version.patch)/versioned-$(upstream_version).tar.xz",
                  "a695629dae047055b37d50a0ff4776d1d45d0a4c842cf4ccee158441f55ff7ee"),
]

# A plain string with interpolation, concatenated with a raw string.
script = "UPSTREAM=$(upstream_version)\nNAME=$name\n" * raw"""
cd $WORKSPACE/srcdir/versioned-*/
make install PREFIX=${prefix} VERSION="${UPSTREAM}"
"""

platforms = supported_platforms(; exclude=Sys.iswindows)

products = [
    LibraryProduct("libversioned", :libversioned),
]

dependencies = Dependency[]

build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

using BinaryBuilder, Pkg

name = "Depful"
version = v"0.9.0"
sources = [
    ArchiveSource("https://example.org/depful-$(version).tar.gz",
                  "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),
]
script = raw"""
make install PREFIX=${prefix}
"""
platforms = supported_platforms()
products = [LibraryProduct("libdepful", :libdepful)]

dependencies = [
    Dependency("Zlib_jll"),
    Dependency(PackageSpec(name="Bzip2_jll", uuid="6e34b625-4abd-537c-b88f-471c36dfa7a0"); compat="1.0.8"),
    BuildDependency("XZ_jll"),
    HostBuildDependency("Ninja_jll"),
    RuntimeDependency("Libiconv_jll"),
    Dependency("Glibc_only_jll"; platforms=filter(p -> libc(p) == "musl", platforms)),
]

build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies; julia_compat="1.6")

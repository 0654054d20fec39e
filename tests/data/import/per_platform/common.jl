# Shared by the Libbar versions: one `build_tarballs` call per platform, in a loop inside a
# function, each with its own script line, sources and products.
using BinaryBuilder

function build_libbar(ARGS, version::VersionNumber; extra_static::Bool)
    name = "Libbar"
    script = raw"""
cd ${WORKSPACE}/srcdir/libbar*
make install prefix=${prefix}
install_license COPYING
"""
    platforms = expand_gfortran_versions(filter(p -> arch(p) in ("x86_64", "aarch64"), supported_platforms()))
    common_products = [
        LibraryProduct("libbar", :libbar),
        LibraryProduct("libgfortran", :libgfortran),
    ]
    for platform in platforms
        sources = [
            ArchiveSource("https://example.org/libbar-$(version)-$(triplet(platform)).tar.gz",
                          "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"),
        ]
        products = if libgfortran_version(platform).major != 3
            vcat(common_products, LibraryProduct("libquadmath", :libquadmath))
        else
            common_products
        end
        if extra_static && Sys.iswindows(platform)
            products = vcat(products, [FileProduct("lib/libbar.a", :libbar_a)])
        end
        dependencies = Sys.islinux(platform) ? [Dependency("Zlib_jll")] : []
        platform_script = "TRIPLET=$(triplet(platform))\n" * script
        build_tarballs(ARGS, name, version, sources, platform_script, [platform], products, dependencies; julia_compat="1.6")
    end
end

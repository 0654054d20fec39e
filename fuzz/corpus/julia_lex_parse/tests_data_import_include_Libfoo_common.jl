# Shared by every Libfoo version, in the style of Yggdrasil's versioned recipes.
using BinaryBuilder, Pkg
using BinaryBuilderBase: sanitize

const llvm_version = v"13.0.1"

function configure_libfoo_build(upstream_version::VersionNumber;
                                version::VersionNumber=upstream_version,
                                kwargs...)
    commits = Dict(
        v"2.1.0" => "1111111111111111111111111111111111111111",
        v"2.2.0" => "2222222222222222222222222222222222222222",
    )

    name = "Libfoo"

    sources = [
        # A git source: old release tarballs disappear.
        GitSource("https://github.com/example/libfoo.git", commits[upstream_version]),
    ]

    script = raw"""
    cd $WORKSPACE/srcdir/libfoo*
    mkdir build && cd build
    cmake -DCMAKE_INSTALL_PREFIX=${prefix} \
        -DCMAKE_TOOLCHAIN_FILE=${CMAKE_TARGET_TOOLCHAIN} \
        -DCMAKE_BUILD_TYPE=Release \
        ..
    make install -j${nproc}
    install_license ../LICENSE
    """

    platforms = supported_platforms()
    push!(platforms, Platform("x86_64", "linux"; sanitize="memory"))

    products = [
        LibraryProduct("libfoo", :libfoo),
    ]

    dependencies = [
        BuildDependency(PackageSpec(; name="LLVMCompilerRT_jll", uuid="4e17d02c-6bf5-513e-be62-445f41c75a11", version=llvm_version);
                        platforms=filter(p -> sanitize(p) == "memory", platforms)),
    ]

    return name, version, sources, script, platforms, products, dependencies
end

include("common.jl")
platforms = [
    Platform("x86_64", "linux"),
    Platform("aarch64", "linux"; libc="musl"),
    Platform("x86_64", "macos"),
]
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

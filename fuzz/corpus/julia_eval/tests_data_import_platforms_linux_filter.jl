include("common.jl")
platforms = filter(p -> Sys.islinux(p) && libc(p) == "glibc", supported_platforms())
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

include("common.jl")
platforms = supported_platforms(; exclude=p -> Sys.iswindows(p) || Sys.isapple(p))
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

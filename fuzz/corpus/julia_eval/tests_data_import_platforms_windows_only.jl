include("common.jl")
platforms = filter(Sys.iswindows, supported_platforms())
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

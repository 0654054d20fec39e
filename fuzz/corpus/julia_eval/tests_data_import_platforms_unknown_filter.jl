include("common.jl")
platforms = filter(p -> has_feature(p, "avx"), supported_platforms())
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

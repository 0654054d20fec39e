include("common.jl")
platforms = expand_cxxstring_abis(supported_platforms(; exclude=!Sys.islinux))
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

include("common.jl")
platforms = supported_platforms() |> expand_gfortran_versions
platforms = filter(p -> libgfortran_version(p) >= v"4" && os(p) == "linux", platforms)
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)

version = v"2.2.0"

include(joinpath(@__DIR__, "..", "common.jl"))

build_tarballs(ARGS, configure_libfoo_build(version; version=v"2.2.1")...; julia_compat="1.9")

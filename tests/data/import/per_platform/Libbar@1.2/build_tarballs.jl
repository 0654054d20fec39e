include("../common.jl")

build_libbar(ARGS, v"1.2.0"; extra_static=true)

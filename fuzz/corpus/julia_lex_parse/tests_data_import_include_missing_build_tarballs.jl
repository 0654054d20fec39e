using BinaryBuilder

name = "Missing"
include("../no_such_dir/common.jl")

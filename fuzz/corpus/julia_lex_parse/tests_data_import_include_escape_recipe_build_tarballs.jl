using BinaryBuilder

include("../outside.jl")

version = v"1.0.0"

name = "Broken"
include("unclosed_call.jl")

version = v"2.1.0"

include("../common.jl")

build_tarballs(ARGS, configure_libfoo_build(version)...;
               julia_compat="1.9", preferred_llvm_version=llvm_version)

# build trigger: 1

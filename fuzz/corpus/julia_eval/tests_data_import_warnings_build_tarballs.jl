# Every line below marked "warns" is something the importer cannot convert exactly.
using BinaryBuilder

name = "Warny"
version = v"3.1.4-rc2"                                   # warns: prerelease

sources = [
    ArchiveSource("https://example.org/warny-3.1.4.tar.gz",
                  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
                  verbose=true),                           # warns: unknown keyword
    DirectorySource("./bundled"; follow_symlinks=true),   # warns: follow_symlinks
    fetch_extra_source(),                                  # warns: unsupported call + omitted
]

script = "cd \$WORKSPACE/srcdir\nmake PREFIX=$prefix install\n"   # warns: unresolved $prefix

@static if Sys.isapple()                                   # warns: the host is not known
    script *= "echo apple\n"
end

while false                                               # warns: while
end

if Sys.islinux()                                          # warns: host query, undecidable if
    dependencies = []
end

platforms = expand_microarchitectures(supported_platforms())   # warns: not modelled

products = [
    LibraryProduct("libwarny", :libwarny; dir_paths=["lib", "lib64"]),   # warns: several dirs
    FrameworkProduct("Warny", :warny),                   # warns: macOS-only + omitted
]

dependencies = [
    Dependency("Zlib_jll"),                              # warns: JLL not supported
]

build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)
build_tarballs(ARGS, name, version, sources, script, platforms, products, dependencies)   # warns: second call

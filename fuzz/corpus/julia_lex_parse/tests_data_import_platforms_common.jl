# Shared by the platform fixtures: everything but the platforms.
using BinaryBuilder

name = "Plat"
version = v"1.0.0"
sources = [
    ArchiveSource("https://example.org/plat-$(version).tar.gz",
                  "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"),
]
script = raw"""
make install PREFIX=${prefix}
"""
products = [LibraryProduct("libplat", :libplat)]
dependencies = Dependency[]

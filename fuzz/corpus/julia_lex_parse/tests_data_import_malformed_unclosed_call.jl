using BinaryBuilder

name = "Broken"
sources = [
    ArchiveSource("https://example.org/x.tar.gz",
                  "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269"
]

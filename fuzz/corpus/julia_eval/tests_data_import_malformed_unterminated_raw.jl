name = "Broken"
script = raw"""
make install

name = "Broken"
script = "cd \q"

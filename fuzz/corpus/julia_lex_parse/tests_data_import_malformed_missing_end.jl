function configure()
    name = "x"
    if true
        name = "y"
    end

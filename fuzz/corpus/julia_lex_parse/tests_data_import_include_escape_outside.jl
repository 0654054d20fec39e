# Outside the root given to the importer.
name = "Escaped"

"""Developer tools that regenerate data files committed to the repository."""

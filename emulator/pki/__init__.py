"""Keys, certificate building blocks, the units' conventions and the lab CA."""

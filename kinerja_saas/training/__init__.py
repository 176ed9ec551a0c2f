"""Competency development: the competency catalogue, training rules and programmes."""

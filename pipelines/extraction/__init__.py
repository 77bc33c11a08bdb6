"""Building blocks of the extract stage: each submodule reads one kind of field from a parsed tree.

``pipelines.extract.extract_page`` parses a page once and hands the same tree to every step here.
"""

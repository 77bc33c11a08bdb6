"""Bundled offline demo news sites for ``make demo`` and the end-to-end tests.

- ``demo_sites.catalog``: ground truth (outlets, articles per edition, non-article paths, traps)
  and a sources.toml writer.
- ``demo_sites.server.DemoServer``: serves every outlet on 127.0.0.1, one port each or all on
  one shared port under ``/<outlet id>/``.
- ``python -m demo_sites``: run the server from a shell.
"""

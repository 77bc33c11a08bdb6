"""``python -m demo_sites [--shared-host] [--port N] [--edition N]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from demo_sites.catalog import sources_toml, write_sources_toml
from demo_sites.server import DemoServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo_sites", description=__doc__)
    parser.add_argument(
        "--shared-host",
        action="store_true",
        help="serve every outlet on one port under /<outlet id>/",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8800,
        help="first port (one per outlet) or the shared port; 0 = ephemeral",
    )
    parser.add_argument("--edition", type=int, default=1, choices=(1, 2))
    parser.add_argument("--sources", metavar="PATH", help="also write a sources.toml here")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    with DemoServer(
        args.port, shared_host=args.shared_host, edition=args.edition, verbose=args.verbose
    ) as server:
        for outlet_id, url in server.base_urls.items():
            print(f"{outlet_id:10s} {url}/")
        if args.sources:
            print(f"wrote {write_sources_toml(server, args.sources)}")
        else:
            print(
                "\n# sources.toml\n" + sources_toml(server.base_urls, shared_host=args.shared_host)
            )
        print("Serving on 127.0.0.1; press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

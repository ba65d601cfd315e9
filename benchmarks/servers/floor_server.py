"""
The floor of C{bench_floor.py} on the default reactor, speaking the harness's
echo protocol: the least Python work the Ti API's behaviour needs on Twisted
(see C{bench_floor.py} for what it does and leaves out).

It is not a Ti-API server: it shows, in the same run as raw Twisted and the
Ti layer, how far up the accepted-connections workload any implementation
of the API could get. Echo mode only (the harness's conns and echo workloads).

Usage: python floor_server.py PORT [echo] [--backlog=N]
"""

import os
import sys

import _args  # the harness's argument parsing, next to this file
from _args import HOST, parse
from twisted.internet import reactor

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_floor import floorFactory  # benchmarks/, one level up


def main():
    port, mode, _ = parse()
    if mode != "echo":
        sys.exit(f"floor_server serves echo mode only, got {mode!r}")
    reactor.listenTCP(port, floorFactory(), backlog=_args.BACKLOG, interface=HOST)
    print(
        f"floor_server echo on {HOST}:{port} reactor={type(reactor).__name__}",
        file=sys.stderr,
        flush=True,
    )
    reactor.run()


if __name__ == "__main__":
    main()

"""An SMTP server that accepts everything and keeps nothing (aiosmtpd), in a process of its own:
the receiving end of the mail benchmarks.

    python -m bench.smtp_sink PORT     # runs until terminated; prints "ready" when listening
"""

from __future__ import annotations

import signal
import sys
import threading


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def main(argv: list[str]) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(), hostname="127.0.0.1", port=int(argv[0]))
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main(sys.argv[1:])

"""``python -m infra.local`` (what ``make run`` calls): run the whole product locally until Ctrl-C or SIGTERM.

Options override the environment: ``--port`` (``LOYALTY_PORT``, 3000), ``--aws-port``
(``LOYALTY_AWS_PORT``, 4566), ``--dynamodb-endpoint`` (``LOYALTY_DYNAMODB_ENDPOINT``: keep the
table on DynamoDB Local or another endpoint instead of moto) and ``--persist``
(``LOYALTY_PERSIST=1``: start DynamoDB Local with its data in ``--data-dir``, ``LOYALTY_DATA_DIR``,
default ``.cache/local-data``, so members and balances are still there on the next start). The
table is in memory on moto by default, gone when the stack stops. The demo keys come from
``LOYALTY_ADMIN_KEY``, ``LOYALTY_SERVER_KEY`` and ``LOYALTY_OPERATOR_KEY``. Exit status 0 after a
clean stop, 1 when the stack cannot start.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType

from infra.dynamodb_local import DynamoDBLocalError
from infra.local.stack import Stack, StackConfig

log = logging.getLogger("infra.local")


def parse_config(argv: list[str]) -> StackConfig:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="HTTP API port (LOYALTY_PORT, default 3000)")
    parser.add_argument("--aws-port", type=int, help="AWS endpoint port (LOYALTY_AWS_PORT, default 4566)")
    parser.add_argument(
        "--dynamodb-endpoint",
        metavar="URL",
        help="DynamoDB endpoint for the table (LOYALTY_DYNAMODB_ENDPOINT)",
    )
    parser.add_argument(
        "--persist",
        action="store_true",
        default=None,
        help="keep the data between runs: DynamoDB Local with its data in --data-dir (LOYALTY_PERSIST=1)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="where --persist keeps the data (LOYALTY_DATA_DIR, default .cache/local-data)",
    )
    args = parser.parse_args(argv)
    config = StackConfig.from_env(os.environ)
    overrides = {
        "port": args.port,
        "aws_port": args.aws_port,
        "dynamodb_endpoint": args.dynamodb_endpoint,
        "persist": args.persist,
        "data_dir": args.data_dir,
    }
    config = dataclasses.replace(
        config, **{name: value for name, value in overrides.items() if value is not None}
    )
    if config.persist and config.dynamodb_endpoint:
        parser.error("--persist starts its own DynamoDB Local: leave out --dynamodb-endpoint")
    return config


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    # moto's server and werkzeug log every AWS call; the stack logs its own requests instead.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="No application metrics to publish")


def main(argv: list[str] | None = None) -> int:
    _configure_logging()
    config = parse_config(sys.argv[1:] if argv is None else argv)
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stack = Stack(config)
    try:
        stack.start()
    except Exception as error:
        expected = isinstance(error, OSError | DynamoDBLocalError)
        log.error("the local stack could not start: %s", error, exc_info=not expected)
        return 1
    print(stack.banner(), flush=True)
    while not stopping.wait(0.5):
        pass
    stack.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

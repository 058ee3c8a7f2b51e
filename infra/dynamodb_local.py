"""Installs and runs DynamoDB Local, AWS's own emulator, for the test suites and the local stack.

The jar comes from the npm package `amplify-dynamodb-simulator` (pinned below), unpacked into
the ignored `.cache/dynamodb-local/`; it runs on the machine's Java 17. Nothing is committed.
Failing to install or start is an error, never a skip: a suite that needs it must not pass
without it.

    python -m infra.dynamodb_local install      # idempotent
    python -m infra.dynamodb_local serve 8000   # foreground, for a local stack or by hand

In memory by default; given a ``db_path`` it keeps its data in that folder (one database file
whatever the credentials and region), as ``make run ARGS=--persist`` does.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import boto3
from botocore.config import Config

PACKAGE = "amplify-dynamodb-simulator@2.9.30"
JAR_SHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"
ROOT = Path(__file__).resolve().parent.parent
HOME = ROOT / ".cache" / "dynamodb-local"
JAR = HOME / "DynamoDBLocal.jar"


class DynamoDBLocalError(RuntimeError):
    pass


def installed() -> bool:
    return JAR.exists() and (HOME / "DynamoDBLocal_lib").is_dir() and _sha256(JAR) == JAR_SHA256


def install() -> Path:
    if installed():
        return JAR
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError("npm is needed to fetch DynamoDB Local (package amplify-dynamodb-simulator)")
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([npm, "pack", PACKAGE, "--silent"], cwd=work, check=True, capture_output=True)
        tarball = next(Path(work).glob("amplify-dynamodb-simulator-*.tgz"))
        with tarfile.open(tarball) as archive:
            archive.extractall(work, filter="data")
        emulator = Path(work) / "package" / "emulator"
        if _sha256(emulator / "DynamoDBLocal.jar") != JAR_SHA256:
            raise DynamoDBLocalError("DynamoDBLocal.jar does not have the pinned sha256")
        shutil.rmtree(HOME, ignore_errors=True)
        HOME.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(emulator, HOME)
    return JAR


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class DynamoDBLocal:
    """A running DynamoDB Local on 127.0.0.1; use as a context manager or start()/stop().

    In memory, or with ``db_path`` its data in that folder, kept between runs."""

    def __init__(self, port: int | None = None, db_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> DynamoDBLocal:
        install()
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalError("java (17+) is needed to run DynamoDB Local")
        command = [java, "-Djava.library.path=DynamoDBLocal_lib", "-jar", "DynamoDBLocal.jar"]
        if self.db_path is None:
            command += ["-inMemory"]
        else:
            self.db_path.mkdir(parents=True, exist_ok=True)
            command += ["-sharedDb", "-dbPath", str(self.db_path.resolve())]
        command += ["-port", str(self.port)]
        self._process = subprocess.Popen(command, cwd=HOME, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local accepts any credentials
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise DynamoDBLocalError(f"DynamoDB Local exited at start: {error[-2000:]}")
            try:
                client.list_tables()
                return self
            except Exception as error:
                if time.monotonic() > deadline:
                    self.stop()
                    raise DynamoDBLocalError(f"DynamoDB Local did not answer in {timeout}s") from error
                time.sleep(0.2)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _sha256(path: Path) -> str:
    if not path.exists():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        print(f"DynamoDB Local ready: {install()}")
        return 0
    if argv[:1] == ["serve"]:
        server = DynamoDBLocal(int(argv[1]) if len(argv) > 1 else 8000).start()
        print(f"DynamoDB Local at {server.endpoint} (Ctrl-C stops)", flush=True)
        try:
            while server._process and server._process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

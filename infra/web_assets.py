"""Installs the front-end libraries the web pages load, from npm, into the web function's package.

`functions/web/package.json` and its lockfile are committed; `npm ci` installs them into the
ignored `.cache/web/`, and the few files the pages load are copied into the ignored
`functions/web/static/vendor/`, which the WebFunction serves at /assets/vendor/ (locally, and in
the cloud once `sam build` packages the folder). Nothing is fetched from a CDN at run time.
Failing to install is an error, never a skip.

    python -m infra.web_assets install   # idempotent (skips npm while the lockfile is unchanged)
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "functions" / "web"
CACHE = ROOT / ".cache" / "web"
VENDOR = WEB / "static" / "vendor"
# node_modules path -> name served at /assets/vendor/
FILES = {
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "echarts/LICENSE": "echarts.LICENSE.txt",
}


class WebAssetsError(RuntimeError):
    pass


def _lock_digest() -> str:
    return hashlib.sha256((WEB / "package-lock.json").read_bytes()).hexdigest()


def installed() -> bool:
    stamp = VENDOR / ".lock-sha256"
    return (
        stamp.exists()
        and stamp.read_text() == _lock_digest()
        and all((VENDOR / name).is_file() for name in FILES.values())
    )


def install() -> Path:
    if installed():
        return VENDOR
    npm = shutil.which("npm")
    if npm is None:
        raise WebAssetsError("npm is needed to install the web pages' libraries (functions/web/package.json)")
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy2(WEB / name, CACHE / name)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=CACHE, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise WebAssetsError(f"npm ci failed:\n{result.stdout}\n{result.stderr}")
    shutil.rmtree(VENDOR, ignore_errors=True)
    VENDOR.mkdir(parents=True)
    for source, name in FILES.items():
        found = CACHE / "node_modules" / source
        if not found.is_file():
            raise WebAssetsError(f"{source} is missing from the installed packages")
        shutil.copy2(found, VENDOR / name)
    (VENDOR / ".lock-sha256").write_text(_lock_digest())
    return VENDOR


def main(argv: list[str]) -> int:
    if argv[1:] != ["install"]:
        print(__doc__)
        return 2
    print(f"web libraries ready: {install()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

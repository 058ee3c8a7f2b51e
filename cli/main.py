"""`loyalty` command line: tenants, keys, members, imports, exports and jobs over the public API.

Exit codes: 0 done; 1 the API refused (its problem's detail is printed) or a job failed;
2 usage (a missing option, an unknown command, no endpoint or key); 3 an import (or its dry run)
finished with refused rows (each printed with its line and reason)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from cli.client import ApiError, Client

OK, API_ERROR, USAGE, ROWS_REFUSED = 0, 1, 2, 3
FINAL = ("done", "failed")
IMPORT_FINAL = ("done", "failed", "reverted")
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
INLINE_BYTES = 4 * 1024 * 1024  # the API's inline file limit: a larger file goes through an upload

err = Console(stderr=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return USAGE
    endpoint = args.endpoint or os.environ.get("LOYALTY_ENDPOINT")
    key = args.key or os.environ.get("LOYALTY_KEY")
    if not endpoint or not key:
        parser.print_usage(sys.stderr)
        err.print("loyalty: error: give --endpoint and --key (or LOYALTY_ENDPOINT and LOYALTY_KEY)")
        return USAGE
    try:
        return int(args.run(Client(endpoint, key), args))
    except ApiError as error:
        err.print(f"[red]error[/red] {error}", highlight=False, soft_wrap=True)
        return API_ERROR
    except KeyboardInterrupt:
        err.print("interrupted: a started export keeps running; `loyalty jobs show ID` follows it")
        return API_ERROR


# --- commands ----------------------------------------------------------------------------------------
def tenants_create(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("POST", "/v1/tenants", {"tenant_id": args.tenant_id, "name": args.name}))


def tenants_list(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", "/v1/tenants"))


def keys_issue(client: Client, args: argparse.Namespace) -> int:
    body = {"scope": args.scope, **({"name": args.name} if args.name else {})}
    return show(client.call("POST", "/v1/keys", body))


def keys_revoke(client: Client, args: argparse.Namespace) -> int:
    client.call("DELETE", f"/v1/keys/{args.key_id}")
    err.print(f"revoked {args.key_id}")
    return OK


def keys_list(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", "/v1/keys"))


def member_show(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", f"/v1/members/{args.member_id}"))


def jobs_show(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", f"/v1/exports/{args.job_id}"))


def export(client: Client, args: argparse.Namespace) -> int:
    """Start (or resume following) an export, wait for it with a progress bar, download the file."""
    request: dict[str, Any] = {"kind": args.kind, "format": args.format}
    if args.kind == "ledger":
        request.update(
            {name: value for name, value in (("from", args.date_from), ("to", args.date_to)) if value}
        )
    started = client.call("PUT", f"/v1/exports/{args.export_id}", request)
    err.print(f"export {started['export_id']}: {started['status']}")
    job = wait(client, args.export_id, args.poll, args.timeout, args.progress)
    if job["status"] != "done":
        err.print(f"[red]export failed[/red]: {job.get('error') or 'no reason given'}")
        return API_ERROR
    size = fetch(client, job["download_url"], Path(args.out), args.progress)
    err.print(f"wrote {job['rows']} rows ({size} bytes) to {args.out}")
    return OK


def wait(client: Client, export_id: str, poll: float, timeout: float, shown: bool) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks · {task.fields[rows]} rows · {task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not shown) as progress:
        task = progress.add_task(f"export {export_id}", total=None, rows=0, status="queued")
        while True:
            job: dict[str, Any] = client.call("GET", f"/v1/exports/{export_id}")
            progress.update(
                task,
                total=job["chunks"],
                completed=job["chunks_done"],
                rows=job["rows"],
                status=job["status"],
            )
            if job["status"] in FINAL:
                return job
            if time.monotonic() > deadline:
                raise ApiError(
                    0, "timed out", f"export {export_id} still {job['status']} after {timeout:.0f} s"
                )
            time.sleep(poll)


def fetch(client: Client, url: str, out: Path, shown: bool) -> int:
    size, chunks = client.download(url)
    written = 0
    partial = out.with_name(out.name + ".part")
    columns = (TextColumn("download"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, disable=not shown) as progress, partial.open("wb") as file:
        task = progress.add_task("download", total=size)
        for chunk in chunks:
            file.write(chunk)
            written += len(chunk)
            progress.update(task, advance=len(chunk))
    partial.replace(out)  # the file appears whole or not at all
    return written


def show(body: Any) -> int:
    print(json.dumps(body, indent=2, ensure_ascii=False))
    return OK


# --- imports -------------------------------------------------------------------------------------------
def import_file(client: Client, args: argparse.Namespace) -> int:
    """Send the file (or dry-run it), follow the job with a progress bar, print refused rows."""
    path = Path(args.file)
    if not path.is_file():
        err.print(f"loyalty: error: no such file {args.file}")
        return USAGE
    file_format = args.format or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv")
    params = {"kind": args.kind}
    if args.reason:
        params["reason"] = args.reason
    if args.dry_run:
        params["dry_run"] = "true"
    if args.upload or path.stat().st_size > INLINE_BYTES:
        send(client, args.import_id, path, file_format, args.progress)
        params.update(from_upload="true", format=file_format)
        started = client.call("PUT", f"/v1/imports/{args.import_id}", params=params)
    else:
        started = client.call(
            "PUT",
            f"/v1/imports/{args.import_id}",
            data=path.read_bytes(),
            content_type=CONTENT_TYPES[file_format],
            params=params,
        )
    if args.dry_run:
        rows = started["rows"]
        err.print(
            f"dry run {args.import_id}: {rows['total']} rows, {rows['failed']} refused; nothing changed"
        )
        return refused_rows(started["errors"])
    err.print(f"import {started['import_id']}: {started['status']}")
    job = wait_import(client, args.import_id, args.poll, args.timeout, args.progress)
    if job["status"] == "failed":
        err.print(f"[red]import failed[/red]: {job.get('error') or 'no reason given'}")
        return API_ERROR
    rows = job["rows"]
    err.print(
        f"{job['status']}: {rows['imported']} of {rows['total']} rows applied, {rows['failed']} refused"
    )
    return refused_rows(job["errors"])


def send(client: Client, import_id: str, path: Path, file_format: str, shown: bool) -> None:
    """A file over the inline limit goes to the presigned upload URL the API answers, with a bar."""
    offer = client.call("POST", f"/v1/imports/{import_id}/upload", {"format": file_format})
    size = path.stat().st_size
    if size > offer["max_bytes"]:
        raise ApiError(0, "file too large", f"{size} bytes, over the {offer['max_bytes']} byte upload limit")
    columns = (TextColumn("upload"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=err, disable=not shown) as progress:
        task = progress.add_task("upload", total=size)
        client.upload(offer["upload_url"], path, lambda sent: progress.update(task, advance=sent))


def refused_rows(errors: list[dict[str, Any]]) -> int:
    for error in errors:
        print(f"line {error['line']}: {error['reason']}")
    return ROWS_REFUSED if errors else OK


def wait_import(client: Client, import_id: str, poll: float, timeout: float, shown: bool) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows · {task.fields[failed]} refused · {task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, disable=not shown) as progress:
        task = progress.add_task(f"import {import_id}", total=None, failed=0, status="queued")
        while True:
            job: dict[str, Any] = client.call("GET", f"/v1/imports/{import_id}")
            rows = job["rows"]
            progress.update(
                task,
                total=rows["total"],
                completed=rows["imported"] + rows["failed"],
                failed=rows["failed"],
                status=job["status"],
            )
            if job["status"] in IMPORT_FINAL:
                return job
            if time.monotonic() > deadline:
                raise ApiError(
                    0, "timed out", f"import {import_id} still {job['status']} after {timeout:.0f} s"
                )
            time.sleep(poll)


def imports_list(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", "/v1/imports"))


def imports_show(client: Client, args: argparse.Namespace) -> int:
    return show(client.call("GET", f"/v1/imports/{args.import_id}"))


def imports_revert(client: Client, args: argparse.Namespace) -> int:
    started = client.call("POST", f"/v1/imports/{args.import_id}/revert")
    err.print(f"import {args.import_id}: {started['status']}")
    deadline = time.monotonic() + args.timeout
    while True:
        job = client.call("GET", f"/v1/imports/{args.import_id}")
        if job["status"] == "reverted" or (job.get("revert") or {}).get("status") == "failed":
            break
        if time.monotonic() > deadline:
            raise ApiError(0, "timed out", f"revert of {args.import_id} still running")
        time.sleep(args.poll)
    err.print(f"{job['status']}: {job['revert']['rows']} rows taken back")
    return OK if job["status"] == "reverted" else API_ERROR


# --- the parser ----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    connection = argparse.ArgumentParser(add_help=False)
    # Accepted before or after the command; SUPPRESS keeps a later default from hiding an earlier value.
    connection.add_argument(
        "--endpoint", default=argparse.SUPPRESS, help="API base URL (env LOYALTY_ENDPOINT)"
    )
    connection.add_argument("--key", default=argparse.SUPPRESS, help="API key (env LOYALTY_KEY)")
    parser = argparse.ArgumentParser(
        prog="loyalty",
        description="Operate a loyalty deployment (or the local stack) through its public API.",
        epilog="Exit codes: 0 done, 1 the API refused or the job failed (detail printed), 2 usage.",
    )
    parser.add_argument("--endpoint", default=None, help="API base URL (env LOYALTY_ENDPOINT)")
    parser.add_argument("--key", default=None, help="API key (env LOYALTY_KEY)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def group(name: str, help_text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(run=None)
        return sub.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        parent: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        help_text: str,
        run: Callable[[Client, argparse.Namespace], int],
    ) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help_text, description=help_text, parents=[connection])
        sub.set_defaults(run=run)
        return sub

    tenants = group("tenants", "Tenants (operator key).")
    create = command(
        tenants, "create", "Create a tenant; prints its first admin and server keys.", tenants_create
    )
    create.add_argument("tenant_id")
    create.add_argument("--name", required=True)
    command(tenants, "list", "List the tenants.", tenants_list)

    keys = group("keys", "This tenant's API keys (admin key).")
    issue = command(keys, "issue", "Issue a key; prints it (shown once).", keys_issue)
    issue.add_argument("--scope", choices=("admin", "server"), required=True)
    issue.add_argument("--name")
    revoke = command(keys, "revoke", "Revoke a key by its id.", keys_revoke)
    revoke.add_argument("key_id")
    command(keys, "list", "List the keys (ids, scopes, names; never the keys).", keys_list)

    member = group("member", "Members (server or admin key).")
    show_member = command(member, "show", "Show a member: balance, tier, expiring points.", member_show)
    show_member.add_argument("member_id")

    exports = group("export", "Export data to a file (admin key): start, follow, download.")
    for kind, help_text in (
        ("members", "Every member with balances (as the API shows them), tier and profile."),
        ("ledger", "Ledger entries of every member, optionally in a window of program-local days."),
    ):
        sub = command(exports, kind, help_text, export)
        sub.set_defaults(kind=kind)
        sub.add_argument(
            "--export-id", required=True, help="your id for it: running it again resumes the same"
        )
        sub.add_argument("--out", required=True, help="file to write")
        sub.add_argument("--format", choices=("csv", "jsonl"), default="csv")
        if kind == "ledger":
            sub.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (inclusive)")
            sub.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (inclusive)")
        sub.add_argument("--poll", type=float, default=1.0, help="seconds between status checks")
        sub.add_argument(
            "--timeout", type=float, default=3600.0, help="give up waiting after this many seconds"
        )
        sub.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")

    importing = commands.add_parser(
        "import",
        help="Import a file of points (or a bulk adjustment) and follow it (admin key).",
        description="Send a CSV (header row) or JSON Lines file under your import id and follow the job "
        "with a progress bar; refused rows are printed with their line. Columns: member_id, points, "
        "expires_on?, earned_on?, name?, email?, phone?, birthday?, reason?. Running it again with the "
        "same file follows the same job; another file under the same id is refused (409).",
        epilog="Exit codes: 0 every row applied, 1 refused or failed, 2 usage, 3 done with refused rows.",
        parents=[connection],
    )
    importing.set_defaults(run=import_file)
    importing.add_argument("file", help="the CSV or JSON Lines file (.jsonl/.ndjson)")
    importing.add_argument(
        "--import-id", required=True, help="your id for it: running it again resumes the same"
    )
    importing.add_argument(
        "--dry-run", action="store_true", help="read and check the whole file, change nothing"
    )
    importing.add_argument(
        "--kind",
        choices=("import", "adjustment"),
        default="import",
        help="adjustment: signed points on members",
    )
    importing.add_argument("--reason", help="why (required for an adjustment; a row's own reason wins)")
    importing.add_argument("--format", choices=("csv", "jsonl"), help="default: from the file's extension")
    importing.add_argument("--poll", type=float, default=1.0, help="seconds between status checks")
    importing.add_argument(
        "--timeout", type=float, default=3600.0, help="give up waiting after this many seconds"
    )
    importing.add_argument(
        "--upload",
        action="store_true",
        help="send the file through a presigned upload (automatic over 4 MiB; up to 100 MiB)",
    )
    importing.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")

    imported = group("imports", "Imports and bulk adjustments (admin key): list, show, revert.")
    command(imported, "list", "List the imports.", imports_list)
    show_import = command(imported, "show", "Show an import: status, row counts, refused rows.", imports_show)
    show_import.add_argument("import_id")
    revert = command(
        imported,
        "revert",
        "Take back every row an import applied (as debt where spent), once.",
        imports_revert,
    )
    revert.add_argument("import_id")
    revert.add_argument("--poll", type=float, default=1.0, help="seconds between status checks")
    revert.add_argument(
        "--timeout", type=float, default=3600.0, help="give up waiting after this many seconds"
    )

    jobs = group("jobs", "Bulk jobs (admin key).")
    show_job = command(jobs, "show", "Show a job's status and progress (exports today).", jobs_show)
    show_job.add_argument("job_id")
    parser.set_defaults(run=None)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

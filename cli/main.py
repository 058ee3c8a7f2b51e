"""`loyalty` command line: tenants, keys, members, exports and jobs over the public API.

Exit codes: 0 done; 1 the API refused (its problem's detail is printed) or a job failed;
2 usage (a missing option, an unknown command, no endpoint or key)."""

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

OK, API_ERROR, USAGE = 0, 1, 2
FINAL = ("done", "failed")

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

    jobs = group("jobs", "Bulk jobs (admin key).")
    show_job = command(jobs, "show", "Show a job's status and progress (exports today).", jobs_show)
    show_job.add_argument("job_id")
    parser.set_defaults(run=None)
    return parser


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

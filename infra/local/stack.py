"""Wiring the local stack: configuration, start in dependency order, stop in reverse.

:meth:`Stack.start` starts moto, creates the template's resources, points the in-process functions
at them through their environment (set before any function reads its cached settings), seeds the
demo tenant, loads every handler, starts the pollers, the event tap and the scheduler, and binds
the HTTP port last, so the API only accepts connections once everything exists.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from infra.dynamodb_local import ROOT, DynamoDBLocal
from infra.local.archive import EventArchive
from infra.local.aws import Clients, MotoEndpoint, Resources, create_resources, ensure_free, make_clients
from infra.local.http import HttpServer, LocalApi, UnknownScheduleError
from infra.local.pollers import SqsPoller
from infra.local.runtime import Invoker, LocalGateway, Worker
from infra.local.scheduler import Schedule, Scheduler, run_schedule, template_schedules
from infra.local.streams import StreamCheckpoints, StreamPoller, stream_failure_policy
from infra.local.tap import EventTap
from infra.template_model import TemplateModel, load_template

log = logging.getLogger("infra.local")

DATA_DIR = ROOT / ".cache" / "local-data"
_TRUE = ("1", "true", "yes", "on")


class DataDirInUseError(OSError):
    pass


@dataclass(frozen=True)
class StackConfig:
    port: int = 3000
    aws_port: int = 4566
    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    admin_key: str = "demo-admin"
    server_key: str = "demo-server"
    operator_key: str = "demo-operator"
    prefix: str = "loyalty-local"  # the table and bus names, and the queues' name prefix
    persist: bool = False  # the table on a DynamoDB Local the stack starts, its data in data_dir
    data_dir: Path = DATA_DIR

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackConfig:
        return cls(
            port=int(env.get("LOYALTY_PORT") or 3000),
            aws_port=int(env.get("LOYALTY_AWS_PORT") or 4566),
            region=env.get("AWS_DEFAULT_REGION") or "us-east-1",
            dynamodb_endpoint=env.get("LOYALTY_DYNAMODB_ENDPOINT") or None,
            admin_key=env.get("LOYALTY_ADMIN_KEY") or "demo-admin",
            server_key=env.get("LOYALTY_SERVER_KEY") or "demo-server",
            operator_key=env.get("LOYALTY_OPERATOR_KEY") or "demo-operator",
            persist=(env.get("LOYALTY_PERSIST") or "").strip().lower() in _TRUE,
            data_dir=Path(env.get("LOYALTY_DATA_DIR") or DATA_DIR),
        )


@dataclass
class Stack:
    config: StackConfig
    template: TemplateModel = field(default_factory=load_template)

    def __post_init__(self) -> None:
        self.invoker = Invoker()
        self.moto = MotoEndpoint(self.config.aws_port)
        self.schedules: dict[str, Schedule] = template_schedules(self.template)
        self.resources = Resources()
        self.workers: list[Worker] = []
        self.http: HttpServer | None = None
        self.tap: EventTap | None = None
        self.dynamodb_local: DynamoDBLocal | None = None
        self._checkpoints: StreamCheckpoints | None = None
        self._data_lock: IO[str] | None = None
        self.archive: EventArchive | None = None
        self._clients: Clients | None = None

    # ------------------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        config = self.config
        ensure_free(config.port, "HTTP API")
        if config.persist:
            self._start_persistent_table()
            config = self.config
        self._aws_environment()
        self.moto.start()
        clients = self._clients = make_clients(config.region, self.moto.url, config.dynamodb_endpoint)
        self.resources = create_resources(self.template, clients, config.prefix)
        self.tap = EventTap(clients.sqs, clients.events, self.resources.bus_name, config.prefix)
        self.tap.create()
        self.archive = EventArchive(
            clients.sqs,
            clients.events,
            self.resources.bus_name,
            config.prefix,
            self.moto.url,
            config.region,
            self.template.path,
        )
        self.archive.create()
        self._function_environment()
        # Imported only now: the shared layer reads its environment (logger, settings) on import.
        from infra.local.demo import seed_demo_tenant

        seed_demo_tenant(
            self.resources.tables[self.template.tables[0].logical_id].name,
            config.admin_key,
            config.server_key,
        )
        for spec in self.template.functions:
            self.invoker.handler(spec)  # import every function now: a broken one fails the start
        self.workers = [
            *self._pollers(clients),
            self.tap,
            self.archive,
            Scheduler(self.invoker, self.schedules, config.region),
        ]
        for worker in self.workers:
            worker.start()
        self.http = HttpServer(LocalApi(LocalGateway(self.template, self.invoker), self), config.port)
        self.http.start()

    def stop(self) -> None:
        if self.http is not None:
            self.http.stop()
            self.http = None
        for worker in self.workers:
            worker.stop()
        for worker in self.workers:
            if not worker.join(5):
                log.warning("%s did not stop in time", worker.name)
        self.workers = []
        self.moto.stop()
        if self.dynamodb_local is not None:
            self.dynamodb_local.stop()
            self.dynamodb_local = None
        if self._data_lock is not None:
            self._data_lock.close()  # releases the lock
            self._data_lock = None

    def _start_persistent_table(self) -> None:
        """DynamoDB Local with its data in ``data_dir`` (one stack at a time), the table's endpoint."""
        data_dir = self.config.data_dir.resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        lock = (data_dir / ".lock").open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            lock.close()
            raise DataDirInUseError(f"another local stack keeps its data in {data_dir}") from error
        self._data_lock = lock
        log.info("starting DynamoDB Local with its data in %s", data_dir)
        self.dynamodb_local = DynamoDBLocal(db_path=data_dir).start()
        self._checkpoints = StreamCheckpoints(data_dir / "stream-positions.json")
        self.config = dataclasses.replace(self.config, dynamodb_endpoint=self.dynamodb_local.endpoint)

    def _aws_environment(self) -> None:
        env, config = os.environ, self.config
        if config.dynamodb_endpoint:
            env.setdefault("AWS_ACCESS_KEY_ID", "testing")
            env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            env["AWS_ENDPOINT_URL_DYNAMODB"] = config.dynamodb_endpoint
            env["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = config.dynamodb_endpoint
        else:  # nothing can reach a real account
            env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")  # noqa: S106 - moto's fake
            for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB"):
                env.pop(name, None)
            env.pop("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", None)
        env["AWS_DEFAULT_REGION"] = config.region
        env["AWS_ENDPOINT_URL"] = self.moto.url
        env.setdefault("POWERTOOLS_TRACE_DISABLED", "1")
        # Webhooks go to receivers on this machine, and retry within seconds rather than hours.
        env.setdefault("WEBHOOK_ALLOW_LOOPBACK", "1")
        env.setdefault("WEBHOOK_RETRY_BASE_SECONDS", "1")
        env.setdefault("WEBHOOK_RETRY_CAP_SECONDS", "4")
        env.setdefault("WEBHOOK_MAX_ATTEMPTS", "5")
        env.setdefault("WEBHOOK_TIMEOUT_SECONDS", "3")
        env.setdefault("WEBHOOK_CACHE_SECONDS", "0")

    def _function_environment(self) -> None:
        """The template's function environment, its ``!Ref``s resolved to the local resources.

        All functions share this process, hence one environment: the union of theirs."""
        operator_sha = hashlib.sha256(self.config.operator_key.encode()).hexdigest()
        for spec in self.template.functions:
            for name, value in spec.environment.items():
                if isinstance(value, str):
                    os.environ.setdefault(name, value)
                    continue
                target = value.get("Ref") if isinstance(value, dict) else None
                if target == "OperatorKeySha256":
                    os.environ[name] = operator_sha
                elif isinstance(target, str) and target == self.template.event_bus:
                    os.environ[name] = self.resources.bus_name
                elif isinstance(target, str) and self.resources.physical(target) is not None:
                    os.environ[name] = str(self.resources.physical(target))
                elif isinstance(target, str) and target in self.template.parameters:
                    os.environ.setdefault(name, str(self.template.parameters[target]))
                else:
                    log.warning(
                        "%s: environment variable %s (%s) is not resolved locally",
                        spec.logical_id,
                        name,
                        value,
                    )

    def _pollers(self, clients: Clients) -> list[Worker]:
        pollers: list[Worker] = []
        for spec in self.template.functions:
            for sqs_source in spec.sqs_sources:
                queue = self.resources.queues[sqs_source.queue_logical_id]
                pollers.append(SqsPoller(self.invoker, spec, sqs_source, queue, clients.sqs))
            for stream_source in spec.stream_sources:
                table = self.resources.tables[stream_source.table_logical_id]
                if table.stream_arn is None:
                    continue
                retries, destination = stream_failure_policy(self.template, spec.logical_id, table.logical_id)
                failure = (retries, self.resources.queues.get(destination) if destination else None)
                pollers.append(
                    StreamPoller(
                        self.invoker,
                        spec,
                        stream_source,
                        table,
                        clients.streams,
                        failure,
                        clients.sqs,
                        self._checkpoints,
                    )
                )
        return pollers

    # ---------------------------------------------------------------- the /_local/ routes' needs

    def recent_events(
        self, limit: int, detail_type: str | None = None, member_id: str | None = None
    ) -> list[dict[str, Any]]:
        return self.tap.recent(limit, detail_type, member_id) if self.tap else []

    def queue_depths(self) -> list[dict[str, Any]]:
        """Every queue of the template; depth = visible + in flight (delayed messages not counted)."""
        assert self._clients is not None
        queues = []
        for queue in self.resources.queues.values():
            attributes = self._clients.sqs.get_queue_attributes(
                QueueUrl=queue.url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depth = int(attributes["ApproximateNumberOfMessages"]) + int(
                attributes["ApproximateNumberOfMessagesNotVisible"]
            )
            queues.append({"name": queue.name, "url": queue.url, "depth": depth})
        return queues

    def run_schedule(self, name: str, at: datetime) -> Any:
        schedule = self.schedules.get(name)
        if schedule is None:
            known = ", ".join(sorted(self.schedules)) or "none yet"
            raise UnknownScheduleError(f"template.yaml has no schedule named {name!r} (known: {known})")
        return run_schedule(self.invoker, schedule, at, self.config.region)

    def banner(self) -> str:
        config, resources = self.config, self.resources
        queues = "\n".join(
            f"                {queue.name}  {queue.url}" for queue in resources.queues.values()
        )
        tables = ", ".join(table.name for table in resources.tables.values())
        storage = config.dynamodb_endpoint or "moto (in process; gone when stopped)"
        if config.persist:
            storage += f" (DynamoDB Local, data kept in {config.data_dir})"
        base = self.http.url if self.http else "-"
        return (
            "Loyalty local stack is ready\n"
            f"  HTTP API      {self.http.url if self.http else '-'}   (GET /v1/health, /v1/openapi.json)\n"
            f"  Web pages     {base}/console/ (sign in with the admin key), {base}/v1/docs,\n"
            f"                {base}/portal/?token=... (POST /v1/members/{{id}}/tokens mints one)\n"
            f"  AWS endpoint  {self.moto.url}   (region {config.region}, credentials testing/testing)\n"
            f"  Table         {tables} on {storage}\n"
            f"  Event bus     {resources.bus_name}\n"
            f"  Archive       s3://{self.archive.bucket if self.archive else '-'}/events/ (by tenant, date)\n"
            f"  Queues\n{queues}\n"
            f"  Buckets       {', '.join(resources.buckets.values()) or '-'}   (S3 on the AWS endpoint)\n"
            f"  Demo tenant   demo: admin key {config.admin_key}, server key {config.server_key}\n"
            f"  Operator key  {config.operator_key}\n"
            f"  Schedules     {', '.join(sorted(self.schedules)) or 'none in template.yaml'}\n"
            "  Local routes  GET /_local/events, GET /_local/queues, POST /_local/schedules/{name}/run\n"
            "Ctrl-C stops it."
        )

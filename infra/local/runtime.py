"""Running the template's functions in this process: one invocation at a time, and background workers.

Every function lives in the same Python process, and powertools keeps the current event in
class-level state (``BaseRouter.current_event`` is shared by every resolver), so two invocations
running at once could answer one request with another's caller. :class:`Invoker` therefore runs
one invocation at a time, like a single Lambda execution environment serving the whole product;
the HTTP server, the pollers and the scheduler all invoke through it. Invocations here take
milliseconds, so requests barely wait.

:class:`Worker` is the base of every background thread (pollers, event tap, scheduler): a loop
that stops within about a second of :meth:`Worker.stop` and logs, never dies of, a failed round.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any

from infra.gateway import Gateway
from infra.lambdas import Handler, LocalLambdaContext, load_handler
from infra.template_model import FunctionSpec, TemplateModel

log = logging.getLogger("infra.local")


class Invoker:
    """Loads each function's handler once and invokes it under the process-wide invocation lock."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._handlers: dict[str, Handler] = {}

    def handler(self, spec: FunctionSpec) -> Handler:
        with self._lock:
            if spec.logical_id not in self._handlers:
                loaded = load_handler(spec)

                def locked(event: dict[str, Any], context: Any) -> Any:
                    with self._lock:
                        return loaded(event, context)

                self._handlers[spec.logical_id] = locked
            return self._handlers[spec.logical_id]

    def invoke(self, spec: FunctionSpec, event: dict[str, Any]) -> Any:
        context = LocalLambdaContext(function_name=spec.logical_id, timeout_seconds=spec.timeout)
        return self.handler(spec)(event, context)


class LocalGateway(Gateway):
    """The in-process API Gateway, invoking the authorizer and the functions through the Invoker."""

    def __init__(self, template: TemplateModel, invoker: Invoker) -> None:
        super().__init__(template)
        self._invoker = invoker

    def handler(self, spec: FunctionSpec) -> Handler:
        return self._invoker.handler(spec)


class Worker(ABC):
    """A named daemon thread calling :meth:`run_once` until stopped."""

    name = "worker"
    error_pause_seconds = 1.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when the worker is being stopped."""
        return self._stop.wait(seconds)

    @abstractmethod
    def run_once(self) -> None:
        """One round of the worker's job (a poll, a tick); the loop calls it until stopped."""

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("%s: round failed; retrying", self.name)
                self.wait(self.error_pause_seconds)

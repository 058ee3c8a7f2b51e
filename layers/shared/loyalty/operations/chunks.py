"""The walk of one chunk of a bulk job (an export's, an import's or its revert's), the same for
every kind: from the chunk's checkpoint a step at a time, each step committed with the checkpoint
(`ExportStore.commit_step`: `page = :page` is the step's exactly-once marker), until the chunk is
done, the job closes meanwhile, or the worker runs out of time. What a step does is the job's own
(`work`); a step another delivery already committed is not counted again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loyalty.operations.context import Context
from loyalty.store.export_store import ChunkState, ChunkStep, ExportStore, StepOutcome

OPEN = ("queued", "running")

# A step's work: given where the chunk stands, what the step did (and the items written with it)
Work = Callable[[ChunkState], tuple[ChunkStep, tuple[dict[str, Any], ...]]]


@dataclass
class ChunkReport:
    steps: int = 0
    rows: int = 0
    failed: int = 0  # an import's refused rows
    repeated_steps: int = 0  # steps another delivery had already committed
    stopped: bool = False  # out of time, not out of work: the chunk goes round again
    chunk_done: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkOf:
    """Which chunk of which job: its store, tenant, job kind and id, and the chunk's number."""

    store: ExportStore
    tenant_id: str
    kind: str
    job_id: str
    chunk: int

    def state(self) -> ChunkState:
        return self.store.read_chunk(self.tenant_id, self.kind, self.job_id, self.chunk)


def walk_chunk(
    context: Context, of: ChunkOf, work: Work, report: ChunkReport, should_stop: Callable[[], bool]
) -> bool:
    """Do the chunk's steps from its checkpoint until it is done or `should_stop` says so (after
    one step at least). True when the chunk is done and with it every chunk of the job (the job
    can be finished)."""
    state = of.state()
    while not state.done:
        if report.steps and should_stop():
            report.stopped = True
            return False
        step, extra = work(state)
        outcome = of.store.commit_step(of.tenant_id, of.kind, of.job_id, step, context.clock(), extra)
        if outcome == StepOutcome.JOB_CLOSED:
            report.notes.append("job closed meanwhile")
            return False
        if outcome == StepOutcome.ALREADY_DONE:
            report.repeated_steps += 1
            state = of.state()
            continue
        report.steps += 1
        report.rows += step.rows
        report.failed += step.failed
        state = ChunkState(of.chunk, state.page + 1, step.cursor, state.rows + step.rows, step.done)
    report.chunk_done = True
    after = of.store.read_job(of.tenant_id, of.kind, of.job_id)
    return after is not None and after.status in OPEN and after.chunks_done >= after.chunks

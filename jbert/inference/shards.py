"""Several processes sharing one ``jbert predict`` or ``jbert embed`` run (``accelerate launch``).

    shards = Shards.start(cfg.device, cfg.inputs)
    with shards.on_main(output_lock(cfg.output)):                 # rank 0 alone holds the outputs
        for pairs, errors in shards.stream(predictor, items, cfg.chunk_size, skip):
            ...                                                   # runs on rank 0 only: write, count

Every rank reads the same inputs into the same chunks (readers are deterministic; reading is cheap next
to the model, and no rank has to hand rows to the others). Each chunk's examples are cut into contiguous
blocks, one per rank (accelerate's ``PartialState.split_between_processes``: sizes differ by at most
one); each rank encodes and runs its block, and rank 0 gathers the blocks (torch.distributed's
``gather_object``) and concatenates them in rank order. Contiguous blocks rather than row i -> rank i % N because that
concatenation IS input order, with nothing to interleave back, and the rows in error come out sorted
by line as in one process. Rank 0 writes each chunk before the next is read, so memory stays flat.

A bad row under ``--on-error fail`` that one rank's model input rejects is raised on every rank (the
earliest one), and so is rank 0 failing to take the output's lock: no rank is left waiting for the others.
With one process (no ``WORLD_SIZE`` > 1) ``stream`` is ``Predictor.stream`` and ``on_main`` enters
everything: the run is exactly as without this module.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from jbert.data import Example, Prediction, RowError
from jbert.errors import ConfigError, DataFormatError, JbertError
from jbert.inference.core import Predictor, chunked, resolve_device

Pairs = list[tuple[Example, Prediction]]


def launched_world() -> int:
    """The process count ``accelerate launch`` (torchrun) started, from ``WORLD_SIZE``; 1 otherwise.
    Read from the environment, as accelerate's PartialState does, so a lone run imports no torch."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def is_main_process() -> bool:
    """Rank 0, or the only process: the one that prints the summary."""
    dist = getattr(sys.modules.get("torch"), "distributed", None)
    return not (dist is not None and dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


@dataclass
class Shards:
    """This process's part of a run: ``rank`` of ``world`` (0 of 1: a run of its own)."""

    rank: int = 0
    world: int = 1
    device: str | None = None  # where this rank runs its model (None: the run's own choice, as --device auto)
    state: Any = None  # accelerate's PartialState, with several processes

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def start(cls, device: str | None, inputs: Iterable[str]) -> Shards:
        """Join the launched processes, if any. ``device`` is --device: with several processes, auto or
        cuda becomes this rank's own GPU (``cuda:LOCAL_RANK``), and the ranks meet over NCCL; on CPUs over gloo."""
        if launched_world() <= 1:
            return cls(device=resolve_device(device) if device else None)
        if "-" in inputs:  # only one process could read it, and the others would wait for rows forever
            raise ConfigError("stdin (-) cannot be shared by several processes; give the input as a file")
        from accelerate import PartialState

        resolved = resolve_device(device)
        state = PartialState(cpu=not resolved.startswith("cuda"))
        own = str(state.device) if resolved == "cuda" else resolved
        return cls(rank=state.process_index, world=state.num_processes, device=own, state=state)

    @contextmanager
    def on_main(self, *managers: AbstractContextManager[Any]) -> Iterator[tuple[Any, ...]]:
        """Enter ``managers`` (output locks and writers, the progress bar) on rank 0 only; the other ranks
        get None for each and never enter them. Rank 0 failing to enter (the output is locked by another
        run) is raised on every rank, so that none of them waits for rows that will not come."""
        with ExitStack() as stack:
            if self.world == 1:
                yield tuple(stack.enter_context(m) for m in managers)
                return
            values: tuple[Any, ...] = (None,) * len(managers)
            error = None
            if self.main:
                try:
                    values = tuple(stack.enter_context(m) for m in managers)
                except JbertError as exc:
                    error = exc
            self._raise_first(_broadcast_from_main(_portable(error) if error else None), own=error)
            yield values

    def stream(self, predictor: Predictor, items: Iterable[Example | RowError], chunk_size: int,
               skip_errors: bool = False) -> Iterator[tuple[Pairs, list[RowError]]]:
        """``Predictor.stream`` over the ranks: each chunk's pairs and rows in error, in input order, on
        rank 0; the other ranks yield nothing (they predict their blocks and hand them over)."""
        if self.world == 1:
            yield from predictor.stream(items, chunk_size, skip_errors)
            return
        for chunk in chunked(items, chunk_size):
            examples = [x for x in chunk if isinstance(x, Example)]
            with self.state.split_between_processes(examples) as block:
                pairs, errors, error = _predict_block(predictor, block, skip_errors)
            self._raise_first(_all_gather(_portable(error) if error else None), own=error)
            blocks = _gather_to_main((pairs, errors))
            if self.main:
                merged = [e for _, errs in blocks for e in errs] + [x for x in chunk if isinstance(x, RowError)]
                yield [p for ps, _ in blocks for p in ps], sorted(merged, key=lambda e: e.line or 0)

    def total(self, count: int) -> int:
        """The sum of ``count`` over the ranks (on every rank); also where they wait for one another."""
        return count if self.world == 1 else sum(_all_gather(count))

    def _raise_first(self, errors: list[Any], own: JbertError | None) -> None:
        """``errors``: one entry per rank, from rank 0 on (None: no error). Raise the first one (the earliest
        row: the blocks are in input order) on every rank; the rank it came from raises its own exception."""
        first = next((rank for rank, e in enumerate(errors) if e is not None), None)
        if first is None:
            return
        if first == self.rank and own is not None:
            raise own
        error = errors[first]
        raise error.to_error() if isinstance(error, RowError) else error


def _predict_block(predictor: Predictor, block: list[Example], skip_errors: bool
                   ) -> tuple[Pairs, list[RowError], JbertError | None]:
    """This rank's block predicted; a bad row under --on-error fail comes back as the error, to be
    raised on every rank together rather than on this one alone (the others would wait for it)."""
    try:
        pairs, errors = predictor.predict(block, skip_errors)
    except JbertError as exc:
        return [], [], exc
    return pairs, errors, None


def _portable(error: JbertError) -> Any:
    """``error`` in a form that survives pickling to another rank: a DataFormatError as its RowError (its
    constructor takes more than the message), any other as itself, or its message where it does not pickle."""
    if isinstance(error, DataFormatError):
        return RowError.from_error(error)
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # an exception class whose arguments do not round-trip
        return JbertError(str(error))
    return error


def _all_gather(value: Any) -> list[Any]:
    import torch.distributed as dist

    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def _gather_to_main(value: Any) -> list[Any]:
    """Every rank's ``value`` in rank order on rank 0 (the others get []): only rank 0 writes, so the
    outputs are not sent to every rank as accelerate's all-gathering ``gather_object`` would."""
    import torch.distributed as dist

    out: list[Any] | None = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    dist.gather_object(value, out, dst=0)
    return out or []


def _broadcast_from_main(value: Any) -> list[Any]:
    """Rank 0's ``value`` on every rank, as a one-entry list (the entry of rank 0)."""
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box

"""`Candidate`: one model to finalize, from a search space or given as a builder."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from hwnas import SearchSpace, create_space, get_space

from ._baseline import ORIGIN_TRAINING, build_origin_cnn

if TYPE_CHECKING:
    import torch

__all__ = ["Candidate", "candidate_from_arch", "origin_baseline"]


@dataclass(frozen=True)
class Candidate:
    """A model to train, compress and verify.

    ``build(num_classes, input_shape)`` returns a fresh ``nn.Module``; ``arch`` / ``space`` name
    it when it comes from a search space; ``predicted_ms`` / ``predicted_accuracy`` are what the
    surrogates said (checked against the measurements); ``train_overrides`` replace fields of the
    finalizer's ``TrainConfig`` for this candidate only (a baseline keeps its own recipe);
    ``latency_anchors`` (``LatencyAnchor``) are profiled networks re-timed next to the model, which
    re-anchor ``predicted_ms`` on the machine's state at measuring time.
    """

    name: str
    build: Callable[[int, tuple[int, int, int]], "torch.nn.Module"] = field(compare=False)
    arch: str = ""
    space: str = ""
    predicted_ms: float | None = None
    predicted_accuracy: float | None = None
    train_overrides: dict = field(default_factory=dict, compare=False)
    latency_anchors: tuple = field(default=(), compare=False)

    @property
    def slug(self) -> str:
        """A filesystem-safe folder name."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.name)[:80] or "candidate"


def candidate_from_arch(space: "SearchSpace | str", arch, name: str | None = None,
                        predicted_ms: float | None = None,
                        predicted_accuracy: float | None = None, latency_anchors: tuple = (),
                        **config) -> Candidate:
    """A candidate for an architecture (string or ``Architecture``) of ``space``."""
    if isinstance(space, str):
        space = create_space(space, **config) if config else get_space(space)
    parsed = space.as_arch(arch)
    text = space.format(parsed)
    return Candidate(name or text, lambda classes, shape: space.build(parsed, classes, shape), text,
                     space.name, predicted_ms, predicted_accuracy, latency_anchors=tuple(latency_anchors))


def origin_baseline(predicted_ms: float | None = None) -> Candidate:
    """The origin document's plain CNN with its own training recipe (the epochs stay the
    finalizer's, so that both are trained equally long)."""
    recipe = {k: v for k, v in ORIGIN_TRAINING.items() if k != "epochs"}
    return Candidate("origin-cnn", build_origin_cnn, predicted_ms=predicted_ms, train_overrides=recipe)

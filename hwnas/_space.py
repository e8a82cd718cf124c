"""`SearchSpace`: the small abstract base every space implements, and its registry."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, Iterator, Sequence, Union

import numpy as np

from ._arch import Architecture
from ._errors import ArchitectureError, ConfigError
from ._unit import Unit

if TYPE_CHECKING:  # torch is imported lazily: listing spaces must stay fast
    import torch

__all__ = [
    "Choice",
    "Graph",
    "SearchSpace",
    "RngLike",
    "as_rng",
    "register_space",
    "list_spaces",
    "get_space",
    "create_space",
    "UnitSlot",
]

RngLike = Union[np.random.Generator, int, None]
UnitSlot = tuple[str, tuple[int, ...], tuple[Union[Unit, None], ...]]  # see ``SearchSpace.unit_slots``


def as_rng(rng: RngLike) -> np.random.Generator:
    """A numpy Generator from a seed or a Generator (``None`` means seed 0: results stay reproducible)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)


@dataclass(frozen=True)
class Choice:
    """One categorical decision of a space: its name and the options it picks from."""

    name: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Graph:
    """An architecture as a DAG for graph neural networks.

    ``adjacency[i, j] = 1`` means an edge from node i to node j (nodes in topological order);
    ``features`` is one row per node (one-hot op type, then numeric attributes);
    ``units[i]`` are the profiled units node i stands for (empty for input/output nodes), so that a
    GNN can add each node's lookup-table latency as a feature.
    """

    adjacency: np.ndarray
    features: np.ndarray
    units: tuple[tuple[Unit, ...], ...]


class SearchSpace(ABC):
    """A family of networks described by a fixed list of categorical choices.

    An architecture is a genome: one option index per entry of ``choices``. That single
    representation serves every part of hwnas: samplers and genetic operators work on genes, tree
    models read ``encode`` (a fixed-length vector), graph models read ``to_graph``, the profiler
    times ``units`` and the finalizer trains ``build``.

    A subclass gives ``name``, ``choices``, ``format`` / ``parse``, ``build``, ``units`` and
    ``to_graph``. It overrides ``canonical`` when some genes can be inactive (they must then be
    reset to 0, so that equal networks are equal architectures), ``size`` / ``enumerate`` when the
    space is not the plain product of its choices, and ``encode`` when a better fixed-length
    encoding exists. Everything else (sampling, mutation, crossover, one-hot encoding, FLOPs,
    parameters) is shared here.
    """

    name: ClassVar[str] = ""
    default_input_shape: ClassVar[tuple[int, int, int]] = (3, 32, 32)
    default_num_classes: ClassVar[int] = 10

    # ----------------------------------------------------------------- definition
    @property
    @abstractmethod
    def choices(self) -> tuple[Choice, ...]:
        """The categorical decisions, in genome order."""

    @abstractmethod
    def format(self, arch: Architecture) -> str:
        """The canonical string of ``arch``."""

    @abstractmethod
    def parse(self, text: str) -> Architecture:
        """The architecture a string names; raises ``ArchitectureError`` naming what is wrong."""

    @abstractmethod
    def build(
        self,
        arch: Architecture,
        num_classes: int | None = None,
        input_shape: tuple[int, int, int] | None = None,
    ) -> "torch.nn.Module":
        """A freshly initialised ``torch.nn.Module`` of ``arch`` (eval mode is the caller's)."""

    @abstractmethod
    def units(
        self, arch: Architecture, input_shape: tuple[int, int, int] | None = None
    ) -> list[Unit]:
        """The profilable pieces ``arch`` runs as, in execution order, repeats included.

        The sum of their lookup-table latencies is the table's estimate of the network.
        """

    @abstractmethod
    def to_graph(self, arch: Architecture) -> Graph:
        """``arch`` as a DAG with node features."""

    def all_units(self, input_shape: tuple[int, int, int] | None = None) -> list[Unit] | None:
        """Every distinct unit any network of the space runs, when the space can list them
        without enumerating its networks (a complete lookup table); ``None`` otherwise."""
        return None

    def unit_slots(self, input_shape: tuple[int, int, int] | None = None) -> list[UnitSlot] | None:
        """The units of every network position by position, when each position's unit is fixed by
        a few genes (a chain whose shapes follow from its genes: FBNet's layers, MBConv's block
        slots): per position ``(name, genes, units)``, where ``units[k]`` is the unit when those
        genes take the ``k``-th combination of their values (``numpy.ravel_multi_index`` over their
        cardinalities; no genes: a fixed unit, ``units`` of one), ``None`` where the position runs
        nothing. ``units(arch)`` is then the chosen units, in this order, without the ``None``s.
        ``None`` (the default) for spaces that cannot say so (NB201: which edges run depends on
        the whole cell).

        It lets latency features of networks never seen be computed for whole batches by table
        look-ups instead of network by network (FBNet: ~5,000 -> ~50,000 a second)."""
        return None

    def config(self) -> dict:
        """The JSON-serialisable settings that, with ``name``, recreate this space."""
        return {}

    # ----------------------------------------------------------------- genomes
    def canonical(self, genes: tuple[int, ...]) -> tuple[int, ...]:
        """Reset genes that have no effect to 0 (identity for spaces without inactive genes)."""
        return genes

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(c.options) for c in self.choices)

    def make(self, genes: Sequence[int]) -> Architecture:
        """The architecture of a genome, validated and made canonical."""
        genes = tuple(int(g) for g in genes)
        cards = self.cardinalities
        if len(genes) != len(cards):
            raise ArchitectureError(
                f"{self.name}: expected {len(cards)} genes, got {len(genes)}"
            )
        for i, (g, n) in enumerate(zip(genes, cards)):
            if not 0 <= g < n:
                raise ArchitectureError(
                    f"{self.name}: gene {i} ({self.choices[i].name}) must be in 0..{n - 1}, got {g}"
                )
        return Architecture(self.name, self.canonical(genes))

    def check(self, arch: Architecture) -> Architecture:
        """``arch`` if it belongs to this space, else a clear error."""
        if not isinstance(arch, Architecture):
            raise ArchitectureError(f"expected an Architecture, got {type(arch).__name__}")
        if arch.space != self.name:
            raise ArchitectureError(
                f"architecture of space {arch.space!r} used with space {self.name!r}"
            )
        return arch

    def as_arch(self, item: "Architecture | str") -> Architecture:
        """Accept an ``Architecture`` or its string."""
        return self.check(item) if isinstance(item, Architecture) else self.parse(str(item))

    # ----------------------------------------------------------------- size
    @property
    def size(self) -> int:
        """Number of distinct architectures (the product of the choices unless overridden)."""
        return math.prod(self.cardinalities)

    @property
    def is_finite_enumerable(self) -> bool:
        """Whether ``enumerate`` is practical (up to a few million architectures)."""
        return self.size <= 5_000_000

    def enumerate(self) -> Iterator[Architecture]:
        """Every architecture once, in the space's official order where it has one."""
        if not self.is_finite_enumerable:
            raise ConfigError(f"space {self.name!r} has {self.size:.3g} architectures: too many to enumerate")
        seen: set[tuple[int, ...]] = set()
        for flat in range(math.prod(self.cardinalities)):
            genes = self.canonical(self._unflatten(flat))
            if genes not in seen:
                seen.add(genes)
                yield Architecture(self.name, genes)

    def _unflatten(self, flat: int) -> tuple[int, ...]:
        genes = []
        for n in reversed(self.cardinalities):
            flat, g = divmod(flat, n)
            genes.append(g)
        return tuple(reversed(genes))

    # ----------------------------------------------------------------- random processes
    def sample(self, rng: RngLike = None) -> Architecture:
        """One architecture drawn uniformly over genes (then made canonical)."""
        rng = as_rng(rng)
        return self.make(tuple(int(rng.integers(n)) for n in self.cardinalities))

    def sample_many(self, n: int, rng: RngLike = None, unique: bool = True) -> list[Architecture]:
        """``n`` samples; distinct ones when ``unique`` (capped by the space size)."""
        rng = as_rng(rng)
        out: list[Architecture] = []
        seen: set[Architecture] = set()
        target = min(n, self.size) if unique else n
        while len(out) < target:
            arch = self.sample(rng)
            if unique and arch in seen:
                continue
            seen.add(arch)
            out.append(arch)
        return out

    def mutate(self, arch: Architecture, rng: RngLike = None, n_mutations: int = 1) -> Architecture:
        """``arch`` with ``n_mutations`` genes changed to another option; always a different network."""
        rng = as_rng(rng)
        self.check(arch)
        cards = self.cardinalities
        mutable = [i for i, n in enumerate(cards) if n > 1]
        for _ in range(100):  # inactive genes can make a change invisible: retry
            genes = list(arch.genes)
            for i in rng.choice(mutable, size=min(n_mutations, len(mutable)), replace=False):
                genes[i] = (genes[i] + 1 + int(rng.integers(cards[i] - 1))) % cards[i]
            child = self.make(genes)
            if child != arch:
                return child
        return child

    def crossover(self, a: Architecture, b: Architecture, rng: RngLike = None) -> Architecture:
        """Uniform crossover: each gene from ``a`` or ``b`` with equal chance."""
        rng = as_rng(rng)
        self.check(a), self.check(b)
        take_a = rng.random(len(a.genes)) < 0.5
        return self.make([ga if t else gb for ga, gb, t in zip(a.genes, b.genes, take_a)])

    # ----------------------------------------------------------------- encodings
    def genes_array(self, archs: Sequence[Architecture]) -> np.ndarray:
        """An ``(N, n_choices)`` int array of genomes."""
        return np.array([self.check(a).genes for a in archs], dtype=np.int64).reshape(
            len(archs), len(self.cardinalities)
        )

    def encode(self, archs: "Architecture | Sequence[Architecture]") -> np.ndarray:
        """Fixed-length float32 encoding: one row per architecture, or a vector for one."""
        if isinstance(archs, Architecture):
            return self.encode_genes(self.genes_array([archs]))[0]
        return self.encode_genes(self.genes_array(list(archs)))

    def encode_genes(self, genes: np.ndarray) -> np.ndarray:
        """One-hot of each choice, concatenated; vectorised for batches of genomes."""
        cards = np.asarray(self.cardinalities)
        offsets = np.concatenate([[0], np.cumsum(cards)[:-1]])
        out = np.zeros((genes.shape[0], int(cards.sum())), dtype=np.float32)
        rows = np.arange(genes.shape[0])[:, None]
        out[rows, genes + offsets] = 1.0
        return out

    def degenerate_mask(self, genes: np.ndarray) -> np.ndarray:
        """Which genomes of an ``(N, n_choices)`` array are degenerate: networks whose output
        ignores their input, so they classify at chance. Runtimes differ on whether they compute
        such a network at all (one may fold it away), so its latency says little about a device's
        other networks. None in a plain chain of blocks; cell spaces override this."""
        return np.zeros(np.asarray(genes).shape[0], dtype=bool)

    @property
    def encoding_names(self) -> list[str]:
        """Column names of ``encode``'s output."""
        return [f"{c.name}={o}" for c in self.choices for o in c.options]

    # ----------------------------------------------------------------- cost
    def params(self, arch: Architecture, num_classes: int | None = None,
               input_shape: tuple[int, int, int] | None = None) -> int:
        """Number of trainable parameters of the built network."""
        from ._metrics import count_params

        return count_params(self.build(arch, num_classes, input_shape))

    def flops(self, arch: Architecture, num_classes: int | None = None,
              input_shape: tuple[int, int, int] | None = None) -> int:
        """Multiply-accumulate count of one forward pass at batch 1 (NAS convention: 1 MAC = 1 FLOP)."""
        from ._metrics import count_flops

        shape = input_shape or self.default_input_shape
        return count_flops(self.build(arch, num_classes, shape), shape)


_REGISTRY: dict[str, Callable[..., SearchSpace]] = {}


def register_space(name: str) -> Callable:
    """Class decorator registering a space factory under ``name``."""

    def deco(factory: Callable[..., SearchSpace]):
        _REGISTRY[name] = factory
        return factory

    return deco


def list_spaces() -> list[str]:
    """Names of the registered spaces."""
    from . import spaces  # noqa: F401  (registers the built-in spaces)

    return sorted(_REGISTRY)


_DEFAULTS: dict[str, SearchSpace] = {}


def create_space(name: str, **config) -> SearchSpace:
    """A new space instance; ``config`` is passed to the space (e.g. an mbconv configuration)."""
    list_spaces()
    if name not in _REGISTRY:
        raise ConfigError(f"unknown space {name!r}; known spaces: {', '.join(sorted(_REGISTRY))}")
    space = _REGISTRY[name](**config)
    # A configured variant (e.g. a custom mbconv) names itself apart from the default, and is
    # remembered so that ``str(arch)`` and ``get_space(arch.space)`` find it again.
    if space.name != name:
        _DEFAULTS.setdefault(space.name, space)
    return space


def get_space(name: str) -> SearchSpace:
    """The space registered as ``name`` with its default configuration (shared instance)."""
    if name not in _DEFAULTS:
        base = name.split(":", 1)[0]
        if base != name:
            raise ConfigError(f"space {name!r} is a configured variant: create it first with create_space")
        _DEFAULTS[name] = create_space(name)
    return _DEFAULTS[name]

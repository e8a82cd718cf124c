"""MBConv: a configurable MobileNetV2-style chain in the manner of Once-for-All / ProxylessNAS."""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterator

import numpy as np

from .._arch import Architecture
from .._errors import ArchitectureError, ConfigError
from .._space import Choice, Graph, UnitSlot, register_space
from .._unit import Unit
from ._blocks_units import CLASSIFIER, CONV_BN_RELU, DEPTHWISE_SEPARABLE, INVERTED_RESIDUAL, RESIZE, unit_cost
from ._chain import ChainSpace
from ._mbconv_config import DEFAULT_MBCONV_CONFIG, MBConvConfig, MBConvStage

__all__ = ["MBConvSpace", "MBConvConfig", "MBConvStage", "DEFAULT_MBCONV_CONFIG"]


_KINDS = ("input", "stem", "block", "skipped", "head", "output")
_CHUNK = 4096  # rows encoded at a time


@register_space("mbconv")
class MBConvSpace(ChainSpace):
    """MobileNetV2-style chain (Once-for-All / ProxylessNAS), configurable; default sized for CIFAR-10 on a CPU.

    The network: (bilinear resize to the architecture's resolution when the input differs), 3x3
    stem conv + BN + ReLU, then per stage ``depth`` blocks of ``width`` output channels, the first
    with the stage's stride; each block has its own depthwise kernel and expansion (expansion 1:
    depthwise-separable block; otherwise an inverted residual with a 1x1 expand conv); residual
    adds wherever shapes allow; 1x1 head conv + BN + ReLU, global average pooling, linear.

    Genes: resolution; per stage depth and width; per block slot kernel and expansion (slots beyond
    the stage's depth are inactive and canonically 0). The string lists only active blocks, e.g.
    ``r32-s1:d1,w16,k3e1-s2:d2,w24,k3e6,k5e3-...``. ``create_space("mbconv", **config)`` takes the
    fields of ``MBConvConfig``; a non-default configuration names its space ``mbconv:<hash>``.
    """

    name = "mbconv"

    def __init__(self, **config: Any):
        self.cfg = MBConvConfig.from_dict(config)
        if self.cfg != DEFAULT_MBCONV_CONFIG:
            self.name = f"mbconv:{self.cfg.digest()}"
        cfg = self.cfg
        choices = [Choice("resolution", tuple(map(str, cfg.resolutions)))]
        self._depth_gene, self._width_gene, self._block_genes = [], [], []
        for i, stage in enumerate(cfg.stages, start=1):
            self._depth_gene.append(len(choices))
            choices.append(Choice(f"s{i}.depth", tuple(map(str, stage.depths))))
            self._width_gene.append(len(choices))
            choices.append(Choice(f"s{i}.width", tuple(map(str, stage.widths))))
            slots = []
            for j in range(1, max(stage.depths) + 1):
                slots.append((len(choices), len(choices) + 1))
                choices.append(Choice(f"s{i}.b{j}.kernel", tuple(map(str, cfg.kernels))))
                choices.append(Choice(f"s{i}.b{j}.expansion", tuple(map(str, cfg.expansions))))
            self._block_genes.append(slots)
        self._choices = tuple(choices)
        self._slots: dict[tuple, tuple[UnitSlot, ...]] = {}  # see unit_slots

    @property
    def choices(self) -> tuple[Choice, ...]:
        return self._choices

    def config(self) -> dict:
        return self.cfg.to_dict()

    # ----------------------------------------------------------------- genomes
    def canonical(self, genes: tuple[int, ...]) -> tuple[int, ...]:
        out = list(genes)
        for stage, dg, slots in zip(self.cfg.stages, self._depth_gene, self._block_genes):
            for kg, eg in slots[stage.depths[out[dg]]:]:
                out[kg] = out[eg] = 0
        return tuple(out)

    @property
    def size(self) -> int:
        """Distinct networks: resolutions x per stage (widths x sum over depths of options^depth)."""
        per_block = len(self.cfg.kernels) * len(self.cfg.expansions)
        return len(self.cfg.resolutions) * math.prod(
            len(s.widths) * sum(per_block ** d for d in s.depths) for s in self.cfg.stages)

    def enumerate(self) -> Iterator[Architecture]:
        """Every distinct network once (resolution-major, then stage by stage)."""
        if not self.is_finite_enumerable:
            raise ConfigError(f"space {self.name!r} has {self.size:.3g} architectures: too many to enumerate")
        blocks = list(itertools.product(range(len(self.cfg.kernels)), range(len(self.cfg.expansions))))
        per_stage = [list(self._stage_genes(s, blocks)) for s in self.cfg.stages]
        for r in range(len(self.cfg.resolutions)):
            for parts in itertools.product(*per_stage):
                yield Architecture(self.name, (r, *itertools.chain.from_iterable(parts)))

    @staticmethod
    def _stage_genes(stage: MBConvStage, blocks: list[tuple[int, int]]) -> Iterator[tuple[int, ...]]:
        for d, w in itertools.product(range(len(stage.depths)), range(len(stage.widths))):
            pad = (0, 0) * (max(stage.depths) - stage.depths[d])
            for active in itertools.product(blocks, repeat=stage.depths[d]):
                yield (d, w, *itertools.chain.from_iterable(active), *pad)

    # ----------------------------------------------------------------- strings
    def decode(self, arch: Architecture) -> tuple[int, list[tuple[int, list[tuple[int, int]]]]]:
        """``(resolution, [(width, [(kernel, expansion) per active block]) per stage])``."""
        g = self.check(arch).genes
        stages = []
        for stage, dg, wg, slots in zip(self.cfg.stages, self._depth_gene, self._width_gene, self._block_genes):
            active = slots[:stage.depths[g[dg]]]
            stages.append((stage.widths[g[wg]], [(self.cfg.kernels[g[k]], self.cfg.expansions[g[e]]) for k, e in active]))
        return self.cfg.resolutions[g[0]], stages

    def format(self, arch: Architecture) -> str:
        res, stages = self.decode(arch)
        parts = [f"r{res}"]
        for i, (width, blocks) in enumerate(stages, start=1):
            parts.append(f"s{i}:d{len(blocks)},w{width}," + ",".join(f"k{k}e{e}" for k, e in blocks))
        return "-".join(parts)

    def parse(self, text: str) -> Architecture:
        tokens = str(text).strip().split("-")
        n = len(self.cfg.stages)
        if len(tokens) != n + 1:
            raise ArchitectureError(f"{self.name}: expected 'r<resolution>' and {n} stages joined by '-' "
                                    f"(e.g. 'r32-s1:d1,w16,k3e1-...'), got {len(tokens)} parts")
        genes = [_index(self.cfg.resolutions, _number(tokens[0], "r", f"{self.name}: resolution"),
                        f"{self.name}: resolution")]
        for i, (stage, token) in enumerate(zip(self.cfg.stages, tokens[1:]), start=1):
            genes.extend(self._parse_stage(i, stage, token))
        return self.make(genes)

    def _parse_stage(self, i: int, stage: MBConvStage, token: str) -> list[int]:
        where = f"{self.name}: stage {i}"
        prefix, sep, body = token.partition(":")
        if prefix != f"s{i}" or not sep:
            raise ArchitectureError(f"{where}: expected 's{i}:d<depth>,w<width>,k<kernel>e<expansion>,...', got {token!r}")
        fields_ = body.split(",")
        if len(fields_) < 2:
            raise ArchitectureError(f"{where}: expected 'd<depth>,w<width>,...', got {body!r}")
        depth = _number(fields_[0], "d", f"{where} depth")
        genes = [_index(stage.depths, depth, f"{where} depth"),
                 _index(stage.widths, _number(fields_[1], "w", f"{where} width"), f"{where} width")]
        blocks = fields_[2:]
        if len(blocks) != depth:
            raise ArchitectureError(f"{where}: depth {depth} needs {depth} blocks 'k<kernel>e<expansion>', got {len(blocks)}")
        for j, block in enumerate(blocks, start=1):
            k, sep, e = block.partition("e")
            genes += [_index(self.cfg.kernels, _number(k, "k", f"{where} block {j} kernel"), f"{where} block {j} kernel"),
                      _index(self.cfg.expansions, _number("e" + e if sep else "", "e", f"{where} block {j} expansion"),
                             f"{where} block {j} expansion")]
        genes += [0, 0] * (max(stage.depths) - depth)
        return genes

    # ----------------------------------------------------------------- networks
    def pieces(self, arch: Architecture, input_shape: tuple[int, int, int] | None = None,
               num_classes: int | None = None) -> list[tuple[str, Unit]]:
        """The network as named units in execution order."""
        c, size = _check_shape(input_shape or self.default_input_shape, self.name)
        res, stages = self.decode(arch)
        out = [] if size == res else [("resize", Unit(RESIZE, c, c, size, extra=f"size={res}"))]
        out.append(("stem", Unit(CONV_BN_RELU, c, self.cfg.stem_width, res, kernel=3, stride=self.cfg.stem_stride)))
        res, c = -(-res // self.cfg.stem_stride), self.cfg.stem_width
        for i, (stage, (width, blocks)) in enumerate(zip(self.cfg.stages, stages), start=1):
            for j, (k, e) in enumerate(blocks, start=1):
                stride = stage.stride if j == 1 else 1
                out.append((f"s{i}b{j}", _block_unit(c, width, res, k, e, stride)))
                res, c = -(-res // stride), width
        if self.cfg.head_width:
            out.append(("head", Unit(CONV_BN_RELU, c, self.cfg.head_width, res)))
            c = self.cfg.head_width
        out.append(("classifier", Unit(CLASSIFIER, c, num_classes or self.default_num_classes, res)))
        return out

    def unit_slots(self, input_shape: tuple[int, int, int] | None = None,
                   num_classes: int | None = None) -> list[UnitSlot]:
        """Resize and stem (by resolution), every block slot (by resolution, its stage's depth,
        input and output widths, kernel and expansion; ``None`` beyond the depth), head and
        classifier (by resolution and the last stage's width). Built once per input shape."""
        key = (tuple(input_shape or self.default_input_shape), num_classes or self.default_num_classes)
        if key not in self._slots:
            self._slots[key] = tuple(self._build_slots(*key))
        return list(self._slots[key])

    def _build_slots(self, input_shape: tuple[int, ...], num_classes: int) -> Iterator[UnitSlot]:
        cfg = self.cfg
        c, size = _check_shape(input_shape, self.name)
        yield "resize", (0,), tuple(None if r == size else Unit(RESIZE, c, c, size, extra=f"size={r}")
                                    for r in cfg.resolutions)
        yield "stem", (0,), tuple(Unit(CONV_BN_RELU, c, cfg.stem_width, r, kernel=3, stride=cfg.stem_stride)
                                  for r in cfg.resolutions)
        sizes = [-(-r // cfg.stem_stride) for r in cfg.resolutions]  # per resolution, entering the stage
        width_gene, widths = None, (cfg.stem_width,)  # what feeds the stage: the stem, then a stage
        for i, (stage, dg, wg, slots) in enumerate(zip(cfg.stages, self._depth_gene, self._width_gene,
                                                       self._block_genes), start=1):
            after = [-(-r // stage.stride) for r in sizes]
            for j, (kg, eg) in enumerate(slots):
                first = j == 0
                genes = (0, dg, *([width_gene] if first and width_gene is not None else []), wg, kg, eg)
                yield f"s{i}b{j + 1}", genes, tuple(self._block_units(stage, j, sizes if first else after,
                                                                     widths if first else (None,)))
            sizes, width_gene, widths = after, wg, stage.widths
        if cfg.head_width:
            yield "head", (0, width_gene), tuple(Unit(CONV_BN_RELU, w, cfg.head_width, r)
                                                 for r, w in itertools.product(sizes, widths))
            yield "classifier", (0,), tuple(Unit(CLASSIFIER, cfg.head_width, num_classes, r) for r in sizes)
        else:
            yield "classifier", (0, width_gene), tuple(Unit(CLASSIFIER, w, num_classes, r)
                                                       for r, w in itertools.product(sizes, widths))

    def _block_units(self, stage: MBConvStage, j: int, sizes: list[int],
                     inputs: tuple[int | None, ...]) -> Iterator[Unit | None]:
        """Block slot ``j``'s unit for each (input size, depth, [input width,] width, kernel,
        expansion) in that order (``inputs``: the input widths; ``(None,)``: the block's own)."""
        stride = stage.stride if j == 0 else 1
        for res, depth, cin, width, k, e in itertools.product(sizes, stage.depths, inputs, stage.widths,
                                                              self.cfg.kernels, self.cfg.expansions):
            yield None if j >= depth else _block_unit(width if cin is None else cin, width, res, k, e, stride)

    def all_units(self, input_shape: tuple[int, int, int] | None = None,
                  num_classes: int | None = None) -> list[Unit]:
        """Every distinct unit any network of the space runs (for a complete lookup table)."""
        return sorted({u for _, _, units in self.unit_slots(input_shape, num_classes) for u in units if u is not None})

    # ----------------------------------------------------------------- encodings
    def encode_genes(self, genes: np.ndarray) -> np.ndarray:
        """One-hot genes, then numeric features for tree models: resolution; per stage depth and
        width; per block slot kernel, expansion and multiply-adds in M (0 when inactive); total
        depth and total multiply-adds in M (default input and class count). Vectorised, by
        cache-sized chunks of rows (column writes into a large matrix are slow otherwise)."""
        genes = np.asarray(genes, dtype=np.int64).reshape(-1, len(self.cardinalities))
        n_onehot = sum(self.cardinalities)
        out = np.empty((len(genes), len(self.encoding_names)), dtype=np.float32)
        for start in range(0, len(genes), _CHUNK):
            part = genes[start:start + _CHUNK]
            out[start:start + _CHUNK, :n_onehot] = super().encode_genes(part)
            self._numeric_features(part, out[start:start + _CHUNK, n_onehot:])
        return out

    def _numeric_features(self, genes: np.ndarray, out: np.ndarray) -> None:
        """Write the numeric features of ``genes`` into ``out`` (rows x features)."""
        cfg, tables = self.cfg, self._tables()
        g = np.ascontiguousarray(genes.T)  # one contiguous row per gene, one per feature below
        cols = np.empty((out.shape[1], len(genes)), dtype=np.float32)
        cols[0] = tables["resolution"][g[0]]
        macs = tables["fixed"][g[0]].astype(np.float64)
        col, prev_width = 1, None
        for s, (stage, dg, wg, slots) in enumerate(zip(cfg.stages, self._depth_gene, self._width_gene, self._block_genes)):
            d, w = g[dg], g[wg]
            cols[col], cols[col + 1] = np.asarray(stage.depths)[d], np.asarray(stage.widths)[w]
            col += 2
            for j, (kg, eg) in enumerate(slots):
                active = tables["active"][s][j][d]
                cols[col] = tables["kernel"][g[kg]] * active
                cols[col + 1] = tables["expansion"][g[eg]] * active
                first = (g[0], prev_width) if j == 0 and prev_width is not None else (g[0],)
                block = tables["block"][s][j][(*first, w, g[kg], g[eg])] * active
                cols[col + 2] = block / 1e6
                macs += block
                col += 3
            prev_width = w
        macs += tables["head"][g[0], prev_width]
        depth_rows = [1 + sum(2 + 3 * len(sl) for sl in self._block_genes[:i]) for i in range(len(cfg.stages))]
        cols[col], cols[col + 1] = cols[depth_rows].sum(axis=0), macs / 1e6
        out[:] = cols.T

    def _tables(self) -> dict:
        """Look-up tables of the numeric features, indexed by genes (built once per space)."""
        if getattr(self, "_tables_cache", None) is None:
            self._tables_cache = _feature_tables(self.cfg, self.default_input_shape[0], self.default_num_classes)
        return self._tables_cache

    @property
    def encoding_names(self) -> list[str]:
        names = super().encoding_names + ["resolution"]
        for i, (stage, slots) in enumerate(zip(self.cfg.stages, self._block_genes), start=1):
            names += [f"s{i}.depth", f"s{i}.width"]
            for j in range(1, len(slots) + 1):
                names += [f"s{i}.b{j}.kernel", f"s{i}.b{j}.expansion", f"s{i}.b{j}.mmacs"]
        return names + ["depth", "mmacs"]

    # ----------------------------------------------------------------- graph
    @property
    def graph_feature_names(self) -> tuple[str, ...]:
        return (*(f"is_{k}" for k in _KINDS), *(f"kernel={k}" for k in self.cfg.kernels),
                *(f"expansion={e}" for e in self.cfg.expansions), "kernel", "expansion", "stride",
                "log2_in_channels", "log2_out_channels", "log2_resolution", "log10_1p_macs")

    def to_graph(self, arch: Architecture) -> Graph:
        """A chain with one node per block slot, so every graph of the space has the same nodes:
        input, stem (with the resize, if any), the block slots (inactive ones are ``skipped``
        identities without units), head (1x1 conv and classifier), output. Features:
        ``graph_feature_names`` (one-hot kind, kernel and expansion; numeric attributes)."""
        pieces = dict(self.pieces(arch))
        self.check(arch)
        stem = tuple(pieces[n] for n in ("resize", "stem") if n in pieces)
        rows = [self._node("input", None), self._node("stem", stem[-1], stem)]
        units: list[tuple[Unit, ...]] = [(), stem]
        for i, slots in enumerate(self._block_genes, start=1):
            for j in range(1, len(slots) + 1):
                unit = pieces.get(f"s{i}b{j}")
                rows.append(self._node("block" if unit else "skipped", unit, (unit,) if unit else ()))
                units.append((unit,) if unit else ())
        head = tuple(pieces[n] for n in ("head", "classifier") if n in pieces)
        rows += [self._node("head", head[0], head), self._node("output", None)]
        units += [head, ()]
        n = len(rows)
        return Graph(np.eye(n, k=1, dtype=np.float32), np.stack(rows), tuple(units))

    def _node(self, kind: str, unit: Unit | None, units: tuple[Unit, ...] = ()) -> np.ndarray:
        kinds = np.asarray([kind == k for k in _KINDS], dtype=np.float32)
        is_block = kind == "block"
        k_hot = np.asarray([is_block and unit.kernel == k for k in self.cfg.kernels], dtype=np.float32)
        e_hot = np.asarray([is_block and unit.expansion == e for e in self.cfg.expansions], dtype=np.float32)
        if unit is None:
            numeric = np.zeros(7, dtype=np.float32)
        else:
            numeric = np.asarray([unit.kernel, unit.expansion, unit.stride, math.log2(unit.in_channels),
                                  math.log2(unit.out_channels), math.log2(unit.resolution),
                                  math.log10(1 + sum(unit_cost(u)[0] for u in units))], dtype=np.float32)
        return np.concatenate([kinds, k_hot, e_hot, numeric])


def _feature_tables(cfg: MBConvConfig, channels: int, num_classes: int) -> dict:
    """Per block slot, multiply-adds over (resolution, [previous width,] width, kernel, expansion)
    option indices; the stem + head + classifier cost over (resolution[, last width])."""
    r = -(-np.asarray(cfg.resolutions) // cfg.stem_stride)  # resolution after the stem, per option
    kernels, expansions = np.asarray(cfg.kernels), np.asarray(cfg.expansions)
    tables: dict = {"resolution": np.asarray(cfg.resolutions, dtype=np.float32),
                    "kernel": kernels.astype(np.float32), "expansion": expansions.astype(np.float32),
                    "fixed": r * r * 9 * channels * cfg.stem_width, "active": [], "block": []}
    prev = np.asarray([cfg.stem_width])
    for first_stage, stage in zip([True] + [False] * len(cfg.stages), cfg.stages):
        widths = np.asarray(stage.widths)
        tables["active"].append([np.asarray([j < d for d in stage.depths], dtype=np.float32)
                                 for j in range(max(stage.depths))])
        slots = []
        for j in range(max(stage.depths)):
            r_in = r if j == 0 else -(-r // stage.stride)
            if j == 0:  # input width: the previous stage's (an axis), or the stem's (a constant)
                res, c, w, k, e = np.meshgrid(r_in, prev, widths, kernels, expansions, indexing="ij", sparse=True)
            else:
                res, w, k, e = np.meshgrid(r_in, widths, kernels, expansions, indexing="ij", sparse=True)
                c = w
            stride = stage.stride if j == 0 else 1
            r_out = -(-res // stride)
            hidden = c * e
            macs = np.where(e > 1, res * res * c * hidden, 0) + r_out * r_out * (k * k * hidden + hidden * w)
            macs = np.broadcast_to(macs, np.broadcast_shapes(*(a.shape for a in (res, c, w, k, e))))
            slots.append((macs[:, 0] if j == 0 and first_stage else macs).astype(np.float64))
        r = -(-r // stage.stride)
        tables["block"].append(slots)
        prev = widths
    head = r[:, None] * r[:, None] * prev[None, :] * cfg.head_width
    tables["head"] = head + (cfg.head_width or prev[None, :]) * num_classes
    return tables


def _block_unit(cin: int, width: int, res: int, kernel: int, expansion: int, stride: int) -> Unit:
    """One block: depthwise-separable at expansion 1, else an inverted residual; residual where
    shapes allow."""
    op = INVERTED_RESIDUAL if expansion > 1 else DEPTHWISE_SEPARABLE
    return Unit(op, cin, width, res, kernel=kernel, stride=stride, expansion=float(expansion),
                residual=stride == 1 and cin == width)


def _check_shape(input_shape: tuple[int, ...], space: str) -> tuple[int, int]:
    if len(input_shape) != 3 or input_shape[1] != input_shape[2] or min(input_shape) < 1:
        raise ConfigError(f"{space}: input_shape must be (channels, size, size), got {tuple(input_shape)}")
    return int(input_shape[0]), int(input_shape[1])


def _number(token: str, prefix: str, what: str) -> int:
    """The integer after ``prefix`` in ``token`` (``'w24'`` -> 24), or an ArchitectureError."""
    digits = token[len(prefix):] if token.startswith(prefix) else ""
    if not digits.isdigit():
        raise ArchitectureError(f"{what}: expected '{prefix}<integer>', got {token!r}")
    return int(digits)


def _index(options: tuple[int, ...], value: int, what: str) -> int:
    if value not in options:
        raise ArchitectureError(f"{what} {value} is not allowed; choose from {', '.join(map(str, options))}")
    return options.index(value)

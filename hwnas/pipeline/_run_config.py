"""`RunConfig`: the settings of ``hwnas run``, with the default and ``--quick`` presets."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field

from hwnas import ConfigError

from ._config import FinalizeConfig

__all__ = ["RunConfig", "QUICK_SPACE"]

# ``--quick`` searches a narrower mbconv (2 kernels, 3 expansions, 2 widths and up to 2 blocks per
# stage): its ~150 units profile in about a minute where the default space's ~3400 take ~20.
QUICK_SPACE = {
    "stem_width": 16,
    "stages": [{"depths": [1], "widths": [16], "stride": 1},
               {"depths": [1, 2], "widths": [24, 32], "stride": 2},
               {"depths": [1, 2], "widths": [32, 48], "stride": 2},
               {"depths": [1, 2], "widths": [64, 96], "stride": 1},
               {"depths": [1, 2], "widths": [96, 128], "stride": 2}],
    "kernels": [3, 5], "expansions": [1, 3, 6], "head_width": 256,
}


@dataclass(frozen=True)
class RunConfig:
    """Everything ``hwnas run`` does, stage by stage.

    Data: ``data`` (``auto`` = CIFAR-10 when found, else the embedded digits). Space: ``space``
    configured by ``space_config`` (``None``: the default; its ``resolutions`` default to the data's
    resolution in quick runs). Profile: ``profile_dir`` reuses a profile, else one is measured with
    ``profile_networks`` whole networks. Surrogates: ``latency_predictor`` fitted on the profile
    and on ``calibration_networks`` more networks timed around the budget (0: the profile's alone);
    ``accuracy_predictor`` fitted on ``proxy_archs`` short real trainings (``proxy_epochs`` on
    ``proxy_subset`` images in batches of ``proxy_batch_size``: small batches give a short
    training enough steps to rank networks). Search: ``strategy`` for ``search_evals`` surrogate evaluations under
    ``budget_ms`` (``None``: ``budget_fraction`` x the measured latency of the origin document's CNN,
    the baseline to beat; the search's constraint is the largest of it and ``extra_budgets_ms``). Then the most
    accurate architecture under each budget, and more of the front up to ``candidates``, are
    finalized with ``finalize``, next to the baseline when ``baseline``. Before training, up to
    ``verify_tries`` of each budget's best architectures are timed until one fits the budget
    (0: trust the surrogate); with ``int8_speedup`` > 0 the one kept must also run at least that
    many times faster once quantized to static INT8 (a model to deploy in INT8: the speed-up
    varies from below 1x to above 2x among networks of equal FP32 latency); the networks tried
    are then those an INT8 lookup table (``int8_profile_dir``, else profiled in the run on
    ``ort-cpu-int8``) ranks among the top tenth of the budget's for speed-up. Each finalized
    model is timed next to ``latency_anchors`` one-gene neighbours, which re-anchor its
    prediction on the machine's state at that moment (0: report the surrogate's prediction as is).
    """

    data: str = "auto"
    data_dir: str | None = None
    space: str = "mbconv"
    space_config: dict | None = None
    profile_dir: str | None = None
    profile_networks: int = 60
    latency_predictor: str = "lut"
    calibration_networks: int = 12
    accuracy_predictor: str = "xgb"
    proxy_archs: int = 24
    proxy_epochs: int = 2
    proxy_subset: int = 2000
    proxy_batch_size: int = 64
    strategy: str = "nsga2"
    search_evals: int = 20000
    budget_ms: float | None = None
    budget_fraction: float = 1.0
    extra_budgets_ms: tuple[float, ...] = ()
    candidates: int = 2
    latency_anchors: int = 4
    verify_tries: int = 4
    int8_speedup: float = 0.0
    int8_profile_dir: str | None = None
    baseline: bool = True
    seed: int = 0
    finalize: FinalizeConfig = field(default_factory=lambda: FinalizeConfig(epochs=10, train_subset=10000))

    def __post_init__(self) -> None:
        checks = [
            (self.profile_networks >= 2, f"profile_networks must be >= 2, got {self.profile_networks}"),
            (self.calibration_networks >= 0, f"calibration_networks must be >= 0, got {self.calibration_networks}"),
            (self.proxy_archs >= 2, f"proxy_archs must be >= 2, got {self.proxy_archs}"),
            (self.proxy_epochs >= 1, f"proxy_epochs must be >= 1, got {self.proxy_epochs}"),
            (self.proxy_batch_size >= 1, f"proxy_batch_size must be >= 1, got {self.proxy_batch_size}"),
            (self.search_evals >= 1, f"search_evals must be >= 1, got {self.search_evals}"),
            (self.candidates >= 1, f"candidates must be >= 1, got {self.candidates}"),
            (self.latency_anchors >= 0, f"latency_anchors must be >= 0, got {self.latency_anchors}"),
            (self.verify_tries >= 0, f"verify_tries must be >= 0, got {self.verify_tries}"),
            (0 <= self.int8_speedup <= 10, f"int8_speedup must be in [0, 10], got {self.int8_speedup}"),
            (self.int8_speedup == 0 or self.verify_tries > 0, "int8_speedup needs verify_tries > 0 (it is measured)"),
            (self.int8_profile_dir is None or self.int8_speedup > 0,
             "int8_profile_dir is only read with int8_speedup > 0"),
            (self.budget_ms is None or self.budget_ms > 0, f"budget_ms must be > 0, got {self.budget_ms}"),
            (0 < self.budget_fraction <= 10, f"budget_fraction must be in (0, 10], got {self.budget_fraction}"),
            (all(b > 0 for b in self.extra_budgets_ms), f"budgets must be > 0, got {self.extra_budgets_ms}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"run: {message}")

    @classmethod
    def quick(cls, **overrides) -> "RunConfig":
        """The ``--quick`` preset (the README's first command): a narrower space, few and short
        trainings, one searched candidate next to the baseline; about 3 minutes of CPU here."""
        base = dict(space_config=dict(QUICK_SPACE), profile_networks=10, calibration_networks=4, proxy_archs=4,
                    proxy_epochs=1, proxy_subset=600, proxy_batch_size=32, search_evals=2000, candidates=1,
                    latency_anchors=3,
                    finalize=FinalizeConfig(epochs=2, batch_size=64, train_subset=2000, test_limit=500,
                                            finetune_epochs=1, calibration_images=64))
        base.update(overrides)
        return cls(**base)

    def replace(self, **changes) -> "RunConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return asdict(self)

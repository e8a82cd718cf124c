"""hwnas: predictor-first, hardware-aware neural architecture search.

The core vocabulary lives here (architecture, search space, unit, target, measurement); the four
parts import it: ``hwnas.profiler``, ``hwnas.predictors``, ``hwnas.search``, ``hwnas.datasets``.
"""

from __future__ import annotations

from pathlib import Path as _Path

from ._arch import Architecture
from ._errors import (
    ArchitectureError,
    ConfigError,
    DataError,
    HwnasError,
    MissingDependencyError,
    NotFittedError,
    require,
)
from ._io import exact_floats, write_json_atomic
from ._measure import Measurement, Target
from ._metrics import count_flops, count_params
from ._onnx import export_onnx, onnx_bytes, ort_session, run_ort
from ._quantize import STATIC_RECIPES, QuantizeResult, quantize_for_timing, quantize_onnx
from ._space import (Choice, Graph, SearchSpace, UnitSlot, as_rng, create_space, get_space, list_spaces,
                     register_space)
from ._unit import UNIT_FIELDS, Unit, build_unit, list_unit_ops, register_unit_op, unit_op_costs

__version__ = "0.1.0"

# In a source checkout the parts sit beside this folder at the repository's top level (the
# design card's layout). Let ``hwnas.profiler`` & co. resolve there too when hwnas is imported
# from the checkout without an editable install.
_root = _Path(__file__).resolve().parent.parent
if (_root / "pyproject.toml").is_file() and (_root / "profiler" / "__init__.py").is_file():
    __path__.append(str(_root))  # type: ignore[name-defined]  # noqa: F821

__all__ = [
    "Architecture",
    "ArchitectureError",
    "Choice",
    "ConfigError",
    "DataError",
    "Graph",
    "HwnasError",
    "Measurement",
    "MissingDependencyError",
    "NotFittedError",
    "QuantizeResult",
    "STATIC_RECIPES",
    "SearchSpace",
    "Target",
    "UNIT_FIELDS",
    "Unit",
    "__version__",
    "as_rng",
    "build_unit",
    "count_flops",
    "count_params",
    "create_space",
    "exact_floats",
    "export_onnx",
    "get_space",
    "list_spaces",
    "list_unit_ops",
    "onnx_bytes",
    "ort_session",
    "quantize_for_timing",
    "quantize_onnx",
    "register_space",
    "register_unit_op",
    "require",
    "run_ort",
    "UnitSlot",
    "unit_op_costs",
    "write_json_atomic",
]

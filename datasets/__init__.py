"""hwnas.datasets: CIFAR-10 and the embedded default data, training loops, benchmark tables."""

from __future__ import annotations

from . import _data_api, _tables_api
from ._data_api import *  # noqa: F401,F403
from ._tables_api import *  # noqa: F401,F403

__all__ = [*_data_api.__all__, *_tables_api.__all__]

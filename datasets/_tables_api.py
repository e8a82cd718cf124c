"""Public names of this side of hwnas.datasets (re-exported by __init__)."""

from ._latency_table import LatencyTable, is_index_column, load_latency_table

__all__: list[str] = ["LatencyTable", "load_latency_table", "is_index_column"]

"""`Architecture`: one point of a search space, as an immutable genome."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Architecture"]


@dataclass(frozen=True, order=True)
class Architecture:
    """An immutable, hashable point of a registered search space.

    ``genes[i]`` is the index of the option chosen for the space's i-th choice
    (``SearchSpace.choices``). The genome is canonical: two architectures that build the same
    network have equal genes (spaces zero out genes that have no effect, e.g. blocks beyond a
    stage's depth), so equality and hashing mean "same network".
    ``str(arch)`` is the space's canonical string, which ``space.parse`` turns back into ``arch``.
    """

    space: str
    genes: tuple[int, ...]

    def __str__(self) -> str:
        from ._space import get_space

        return get_space(self.space).format(self)

    def __repr__(self) -> str:
        return f"Architecture({self.space!r}, {str(self)!r})"

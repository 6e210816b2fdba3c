"""Registry of the paper's figures (Sec. IV), as :class:`FigureSpec` data.

``pyiscc reproduce --figures 2,5,9`` looks the keys up here.  The specs themselves are added
with :func:`register_figure` once the solvers exist (one per paper figure, keyed by its number).
"""

from __future__ import annotations

from .specs import FigureSpec

__all__ = ["FIGURES", "register_figure"]

#: Figure key (the paper's figure number as a string, e.g. ``"5"``) -> its spec.
FIGURES: dict[str, FigureSpec] = {}


def register_figure(key: str, spec: FigureSpec, *, replace: bool = False) -> FigureSpec:
    """Add ``spec`` under ``key`` (``replace=True`` to overwrite)."""
    if not isinstance(key, str) or not key or "," in key:
        raise ValueError(f"key: must be a non-empty string without ',', got {key!r}")
    if not isinstance(spec, FigureSpec):
        raise ValueError(f"spec: must be a FigureSpec, got {type(spec).__name__}")
    if key in FIGURES and FIGURES[key] is not spec and not replace:
        raise ValueError(f"figure {key!r} is already registered (pass replace=True)")
    FIGURES[key] = spec
    return spec

"""Sphinx configuration of the pyiscc documentation (``sphinx-build -W -b html docs OUT``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A source checkout with the compiled modules copied into pyiscc/ (development), or an installed
# pyiscc (CI: .ci/docs.sh): use the source tree only where it can import.
if (ROOT / "pyiscc").is_dir() and any((ROOT / "pyiscc").glob("_core_*.so")):
    sys.path.insert(0, str(ROOT))
    # the tutorials' kernels are separate processes: they need the tree on their path too
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pyiscc  # noqa: E402

project = "pyiscc"
author = "the pyiscc authors"
copyright = "the pyiscc authors"
release = pyiscc.__version__
version = release

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]

# Markdown pages and the executed tutorials (MyST text notebooks) both go through myst-nb.
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "*.jsonl"]
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"          # tutorials run on every build: they cannot rot
nb_execution_timeout = 120
nb_execution_raise_on_error = True
nb_execution_show_tb = True

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"           # numpydoc docstrings carry the types and shapes
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
numpydoc_xref_param_type = False

html_theme = "furo"
html_title = f"pyiscc {release}"
templates_path = ["_templates"]

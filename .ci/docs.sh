#!/usr/bin/env bash
# Builds the documentation site with warnings as errors.  Installs pyiscc with its `docs` extra
# into the active virtual environment (.ci/run's, or PYISCC_CI_VENV's when none is active), then
#     sphinx-build -W --keep-going -b html docs OUT
# The tutorials are executed during the build (myst-nb), so a broken example fails it.
#   usage: .ci/docs.sh [OUT]        (default OUT: build/docs)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/docs}"

if [ -z "${VIRTUAL_ENV:-}" ]; then
  venv="${PYISCC_CI_VENV:-$(mktemp -d)/venv}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # shellcheck disable=SC1091
  . "$venv/bin/activate"
fi
if (cd / && python -c "import pyiscc._core" 2>/dev/null); then
  # pyiscc is installed already (.ci/run's build): add only the extra's packages, no rebuild.
  reqs="$(mktemp)"
  python -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))
             ["project"]["optional-dependencies"]["docs"]))' > "$reqs"
  python -m pip install --quiet -r "$reqs"
else
  python -m pip install --quiet ".[docs]"
fi
# The tutorials' kernels run with the same interpreter as Sphinx.
python -m ipykernel install --sys-prefix --name python3 >/dev/null
# sphinx-build, not `python -m sphinx`: the latter puts the checkout on sys.path, whose pyiscc/
# has no compiled modules; docs/conf.py uses the source tree only when it has them.
export OPENBLAS_NUM_THREADS=1
rm -rf docs/generated   # autosummary's stubs: stale ones would not be in any toctree
sphinx-build -W --keep-going -b html docs "$out"
echo ".ci/docs.sh: site in $out"

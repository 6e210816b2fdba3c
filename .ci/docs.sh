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
python -m pip install --quiet ".[docs]"
# The tutorials' kernels run with the same interpreter as Sphinx.
python -m ipykernel install --sys-prefix --name python3 >/dev/null
# sphinx-build, not `python -m sphinx`: the latter puts the checkout on sys.path, whose pyiscc/
# has no compiled modules; docs/conf.py uses the source tree only when it has them.
export OPENBLAS_NUM_THREADS=1
sphinx-build -W --keep-going -b html docs "$out"
echo ".ci/docs.sh: site in $out"

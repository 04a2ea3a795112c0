# Sourced by the build scripts.
#
# `ensure_venv <folder> <requirements file>` makes a virtual environment with
# python3 and installs the pinned requirements into it, again only when the
# requirements file changed.
#
# `ensure_cached_venv <folder> <requirements file>`: the same, built once per
# machine outside the clone, in ${SLUICE_CACHE:-~/.cache/sluice}/venvs/, keyed
# by the Python version and the pinned requirements, and linked at <folder>:
# a fresh clone (CI) reuses it instead of installing from PyPI again. Only for
# environments nothing in the clone writes into.
ensure_venv() {
  local venv="$1" requirements="$2"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local stamp="$venv/.sluice-requirements"
  if ! cmp -s "$requirements" "$stamp"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}

ensure_cached_venv() {
  local venv="$1" requirements="$2"
  local key
  key="$( (python3 --version; cat "$requirements") | sha256sum | cut -c1-16)"
  local name
  name="$(basename "$venv")"
  local cached="${SLUICE_CACHE:-$HOME/.cache/sluice}/venvs/${name#.venv-}-$key"
  mkdir -p "$(dirname "$cached")"
  # A venv cannot be built elsewhere and moved in (its scripts name their own folder), so two builds at once
  # (two clones testing on one machine) take turns on a lock instead of deleting each other's half-built venv.
  (
    flock 9
    if [ ! -f "$cached/.sluice-complete" ]; then
      rm -rf "$cached"
      python3 -m venv "$cached"
      "$cached/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
      touch "$cached/.sluice-complete"
    fi
  ) 9>"$cached.lock"
  if [ "$(readlink "$venv" 2>/dev/null)" != "$cached" ]; then
    rm -rf "$venv"
    ln -s "$cached" "$venv"
  fi
}

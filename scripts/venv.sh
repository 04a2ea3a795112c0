# Sourced by the build scripts: `ensure_venv <folder> <requirements file>`
# makes a virtual environment with python3 and installs the pinned
# requirements into it, again only when the requirements file changed.
ensure_venv() {
  local venv="$1" requirements="$2"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  local stamp="$venv/.sluice-requirements"
  if ! cmp -s "$requirements" "$stamp"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
  fi
}

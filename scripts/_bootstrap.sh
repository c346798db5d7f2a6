# Sourced by scripts/demo and scripts/test: a virtualenv in .venv with the package installed.
# Works on a fresh Debian/Ubuntu machine with Python >= 3.11; installs python3-venv with apt-get
# when the interpreter cannot make virtualenvs.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${POSTURE_HUB_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else log "need root for: $*"; return 1
    fi
}

APT_UPDATED=""
apt_install() {
    # apt_install PACKAGE... : install Debian packages that are missing (non-interactive).
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing system packages: ${missing[*]}"
    if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_python() {
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        log "posture-hub needs Python >= 3.11 (set PYTHON=/path/to/python3.x)"; exit 1
    fi
    if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        local v; v="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install "python${v}-venv" || apt_install python3-venv
    fi
}

ensure_venv() {
    # ensure_venv EXTRAS : create .venv if needed and install the package (editable) with EXTRAS.
    local extras="$1"
    ensure_python
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.posture-hub-installed" want
    want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)-$extras"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing posture-hub${extras:+[$extras]} into $VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
        "$VENV/bin/python" -m pip install -q -e "$ROOT${extras:+[$extras]}"
        echo "$want" > "$stamp"
    fi
    export PATH="$VENV/bin:$PATH"
}

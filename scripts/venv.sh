# Sourced by ./run and ./test: make .venv from the project's own files on first use, and again
# whenever pyproject.toml changes. Needs only Python 3.11+ and the package registries.
set -euo pipefail

find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Rukun needs Python 3.11 or newer" >&2
    return 1
}

make_venv() {
    local python=$1
    if "$python" -m venv .venv 2>/dev/null; then
        return 0
    fi
    rm -rf .venv
    # Debian ships venv support separately; install it when we may.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        local version
        version=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${version}-venv" >/dev/null \
            || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$python" -m venv .venv && return 0
    fi
    echo "could not create .venv: install your distribution's python3-venv package" >&2
    return 1
}

# ensure_venv EXTRA: EXTRA is "" for running a node, "test" for the test tools too.
ensure_venv() {
    local extra=$1 spec=".[${1}]" stamp
    [ -z "$extra" ] && spec="."
    stamp=".venv/.rukun-installed-${extra:-run}"
    if [ ! -x .venv/bin/python ]; then
        make_venv "$(find_python)"
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing Rukun and its dependencies into .venv ..." >&2
        .venv/bin/python -m pip install -q --upgrade pip >&2
        .venv/bin/python -m pip install -q -e "$spec" >&2
        touch "$stamp"
    fi
}

# ensure_browser: the browser tests drive Debian's chromium; install it when missing and we may.
ensure_browser() {
    if [ -x /usr/bin/chromium ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's chromium for the browser tests ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
        return 0
    fi
    echo "the browser tests need /usr/bin/chromium: install your distribution's chromium" >&2
    return 1
}

# ensure_node: tests/test_masto_js.py runs masto.js with Node 20+ and installs it with npm;
# install Debian's nodejs and npm when missing and we may.
ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's nodejs and npm for the masto.js test ..." >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
        return 0
    fi
    echo "the masto.js test needs node and npm: install your distribution's nodejs and npm" >&2
    return 1
}

#!/bin/bash
# bare-python.sh: run a command where python3 has nothing beyond its
# standard library, as on a fresh minimal Debian 12 with only forklift's
# build packages: a private mount namespace (root only) hides every
# site-packages directory of /usr/bin/python3 (Debian's dist-packages,
# /usr/local's, the user site) and any pyenv tree under empty tmpfs mounts,
# and PATH is reset so that python3 is /usr/bin/python3.  venv, ensurepip's
# wheels (python3-pip-whl) and everything outside Python stay as they are.
# Nothing is changed outside the namespace.
#   tests/bare-python.sh make -C build check TESTS=tests/cli/cache.sh
set -eu
if [ "${FL_BARE_INNER:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "bare-python.sh: needs root (unshare -m)" >&2; exit 2; }
	exec env FL_BARE_INNER=1 unshare -m --propagation private bash "$0" "$@"
fi
for d in $(/usr/bin/python3 -c 'import site, sys
print(" ".join(p for p in sys.path if p.endswith(("site-packages", "dist-packages"))))') \
    "$HOME/.local/lib" "${PYENV_ROOT:-$HOME/.pyenv}" /root/.pyenv; do
	[ -d "$d" ] && mount -t tmpfs -o size=1m,mode=755 none "$d"
done
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset PYENV_ROOT PYENV_VERSION PYTHONPATH PYTHONHOME VIRTUAL_ENV FL_BARE_INNER
exec "$@"

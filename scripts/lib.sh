# lib.sh: shared by scripts/test and scripts/demo (sourced, not run).
# Knows the Debian packages forklift needs to build and test, installs the
# missing ones when run as root, and configures and builds forklift in one
# build directory that both scripts reuse.

# The project root, whatever the current directory.
FL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

FL_PACKAGES=(autoconf automake pkg-config make gcc libzip-dev zlib1g-dev libxxhash-dev libdeflate-dev
	libjansson-dev check libssl-dev python3 python3-venv python3-pip-whl
	python3-setuptools-whl unzip libcurl4-openssl-dev libseccomp-dev nginx-light openssl
	strace curl groff-base)

# The build directory: build/ (git-ignored), unless someone configured the
# source tree itself with ./configure, which rules out a separate build
# directory until 'make distclean'.
if [[ -f $FL_ROOT/config.status ]]; then
	FL_BUILD=$FL_ROOT
else
	FL_BUILD=$FL_ROOT/build
fi

fl_jobs() {
	nproc 2>/dev/null || echo 2
}

# Install the missing build packages (as root), or say how to and fail.
fl_ensure_packages() {
	local p missing=()
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "note: not a Debian system; assuming the build dependencies are installed" >&2
		return 0
	fi
	for p in "${FL_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
			missing+=("$p")
		fi
	done
	((${#missing[@]} == 0)) && return 0
	if (($(id -u) != 0)); then
		echo "error: missing Debian packages: ${missing[*]}" >&2
		echo "install them with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		exit 1
	fi
	echo "installing missing Debian packages: ${missing[*]}"
	apt-get update
	# The tests start their own servers (nginx among them) on free ports
	# of 127.0.0.1; installing a package must not start its system service.
	local policy=/usr/sbin/policy-rc.d own_policy=0
	if [[ ! -e $policy ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
	fi
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" || rc=$?
	((own_policy)) && rm -f "$policy"
	return "$rc"
}

# Generate configure (always with 'force', else only when it is missing)
# and configure the build directory.  Returns non-zero on failure.
fl_configure() {
	local force=${1:-}
	if [[ $force == force || ! -x $FL_ROOT/configure ]]; then
		bash "$FL_ROOT/scripts/bootstrap" || return 1
	fi
	if [[ $force == force || ! -f $FL_BUILD/config.status ]]; then
		mkdir -p "$FL_BUILD"
		(cd "$FL_BUILD" && "$FL_ROOT/configure") || {
			echo "error: configure failed; see $FL_BUILD/config.log" >&2
			return 1
		}
	fi
}

# Build the program (and, with an argument, other targets).
fl_make() {
	make -C "$FL_BUILD" -j"$(fl_jobs)" "$@"
}

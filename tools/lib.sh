# shellcheck shell=bash
# tools/lib.sh -- shared by tools/quickstart and tools/test (sourced, not run).
#
# Expects REPO to be set to the checkout's top directory.

# Debian packages the build, the quick start and the tests need.
OW_PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libfcgi-dev libjson-c-dev libjwt-dev libmariadb-dev libargon2-dev libssl-dev check
	libcurl4-openssl-dev libcjose-dev libjansson-dev libunistring-dev
	mariadb-server mariadb-client apache2 libapache2-mod-fcgid lighttpd
	python3 curl procps
)
# Only the test suite needs these: the SSO tests' identity provider (glewlwyd)
# with the tools its set-up script uses, the sanitizer build's compiler, the
# cluster tests' Galera provider, state-transfer tool and load balancer, and
# what the client examples (examples/) run on: Node.js and jq.
# shellcheck disable=SC2034  # used by tools/test
OW_TEST_PACKAGES=(
	glewlwyd dbconfig-no-thanks sqlite3 openssl
	clang libclang-rt-14-dev
	galera-4 rsync haproxy
	nodejs jq zbar-tools
)

ow_say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
ow_die() { ow_say "error: $*"; exit 1; }

# ow_now: seconds since the epoch with milliseconds (for stage timings).
ow_now() { date +%s.%N | cut -c1-14; }
# ow_elapsed START: seconds since START, e.g. "3.42".
ow_elapsed() { awk -v s="$1" -v e="$(ow_now)" 'BEGIN { printf "%.2f", e - s }'; }

# ow_missing_packages PKG...: prints those not installed.
ow_missing_packages() {
	local p status
	for p in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || printf '%s\n' "$p"
	done
}

# ow_install_packages [PKG...]: apt-get installs what is missing (default:
# OW_PACKAGES); does nothing, fast, when all are there.
ow_install_packages() {
	local -a want missing
	if (($#)); then want=("$@"); else want=("${OW_PACKAGES[@]}"); fi
	command -v dpkg-query >/dev/null || ow_die "not a Debian system (no dpkg-query)"
	mapfile -t missing < <(ow_missing_packages "${want[@]}")
	((${#missing[@]})) || return 0
	if ((EUID != 0)); then
		ow_die "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
	fi
	ow_say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Installing a server package may try to start its system service (ports
	# 80, 3306): harmless here, we never use those instances.
	# glewlwyd (the SSO tests' identity provider): its default debconf answer
	# with dbconfig-no-thanks breaks the postinst; "No configuration" avoids it.
	if printf '%s\n' "${missing[@]}" | grep -qx glewlwyd; then
		echo "glewlwyd glewlwyd/config_type select No configuration" | debconf-set-selections
	fi
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ow_build [CONFIGURE-ARGS...]: autoreconf, configure and make, each only when
# needed. With arguments, reconfigures (and recompiles) when the tree was
# configured otherwise; without, keeps the tree's configure arguments.
ow_build() {
	local wanted_args="$*" have=""
	(
		cd "$REPO" || exit 1
		if [[ ! -x configure || configure.ac -nt configure || Makefile.am -nt configure ]]; then
			ow_say "autoreconf -fi"
			autoreconf -fi >/dev/null 2>&1 || autoreconf -fi || exit 1
		fi
		if [[ -f config.status ]]; then
			have=$(./config.status --config 2>/dev/null | tr -d "'")
		fi
		# Without arguments, keep whatever the tree was configured with.
		[[ -n $wanted_args ]] || wanted_args=$have
		if [[ ! -f Makefile || ! -f config.status || configure -nt config.status ||
			$have != "$wanted_args" ]]; then
			ow_say "./configure $wanted_args"
			# shellcheck disable=SC2086  # word splitting of the arguments is wanted
			./configure $wanted_args >/dev/null || exit 1
			# Other flags (e.g. -Werror) only apply to objects compiled anew.
			if [[ $have != "$wanted_args" && -f libow.a ]]; then
				make clean >/dev/null || true
			fi
		fi
		make -j"$(nproc)" >/dev/null || make || exit 1
	)
}

# ow_proc_matches PID WORD: is PID alive, not a zombie, and does its command line
# contain WORD (guards against a stale pid file naming a recycled pid)?
ow_proc_matches() {
	local pid=$1 word=$2 cmd state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -r /proc/$pid/cmdline ]] || return 1
	state=$({ awk '{ print $3 }' "/proc/$pid/stat"; } 2>/dev/null || true)
	[[ $state != Z ]] || return 1
	cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)
	[[ $cmd == *"$word"* ]]
}

# ow_stop_pidfile PIDFILE WORD [TIMEOUT]: SIGTERM the process named in PIDFILE
# when it is ours (command line contains WORD), wait, SIGKILL after TIMEOUT
# seconds; removes the pid file. Returns 0 if something was stopped.
ow_stop_pidfile() {
	local file=$1 word=$2 timeout=${3:-15} pid i
	[[ -f $file ]] || return 1
	pid=$(head -n1 "$file" 2>/dev/null || true)
	rm -f "$file"
	ow_proc_matches "$pid" "$word" || return 1
	kill -TERM "$pid" 2>/dev/null || return 1
	for ((i = 0; i < timeout * 10; i++)); do
		ow_proc_matches "$pid" "$word" || return 0
		sleep 0.1
	done
	ow_say "pid $pid did not stop in ${timeout}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	return 0
}

# ow_stop_matching TEXT: SIGTERM (then SIGKILL after 20 s) the processes whose
# command line contains TEXT. Returns 0 if there were any.
ow_stop_matching() {
	local text=$1 pids i
	# Before the first install (procps not there yet) nothing of ours can run.
	command -v pgrep >/dev/null || return 1
	pids=$(pgrep -f -- "$text" | grep -vx "$$" || true)
	[[ -n $pids ]] || return 1
	# shellcheck disable=SC2086  # one pid per word
	kill -TERM $pids 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		pids=$(pgrep -f -- "$text" | grep -vx "$$" || true)
		[[ -n $pids ]] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	return 0
}

# ow_wait_for SECONDS COMMAND...: retry COMMAND every 0.1 s until it succeeds.
ow_wait_for() {
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ow_read_refused FILE READER...: READER FILE (a reader run as someone else,
# e.g. runuser -u www-data -- head -c 1) fails with "Permission denied";
# prints what happened either way.
ow_read_refused() {
	local f=$1 out
	shift
	if out=$("$@" "$f" 2>&1 >/dev/null); then
		echo "READ $f: $*"
		return 1
	fi
	echo "$* $f: $out"
	[[ $out == *"Permission denied"* ]]
}

# ow_random_password: 32 characters from [A-Za-z0-9].
ow_random_password() {
	local s=""
	while ((${#s} < 32)); do
		s+=$(head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	done
	printf '%s\n' "${s:0:32}"
}

# ow_sockdir STATE [create]: print the directory for the quick start's unix
# sockets. A socket path has at most 107 bytes, so a deep checkout cannot keep
# them in STATE: they go to a private directory under /tmp instead (mode 0700,
# ow_remembered_dir), remembered in STATE/sockdir. Without `create`, prints
# nothing when there is no usable directory yet (e.g. for --stop).
ow_sockdir() {
	local state=$1 create=${2:-}
	if ((${#state} <= 80)); then
		printf '%s\n' "$state"
		return 0
	fi
	ow_remembered_dir "$state/sockdir" 700 "$(id -gn)" "$create"
}

# ow_service_dir STATE GROUP [create]: as root, the quick start's Apache runs
# the service as www-data, which may not reach the checkout (/root/...): what
# the service reads (its program, configuration, secret, database password,
# the database socket) is copied to a private directory under /tmp that only
# GROUP may enter (mode 0750), remembered in STATE/servicedir.
ow_service_dir() {
	ow_remembered_dir "$1/servicedir" 750 "$2" "${3:-}"
}

# ow_remembered_dir FILE MODE GROUP [create]: print the directory named in
# FILE. Its name is unpredictable (mktemp: nobody can plant it in advance); a
# remembered directory is used again only while it is still a real directory
# (not a symlink) owned by us with exactly MODE and GROUP, so one that another
# user swapped in or opened up is never used. With `create`, makes a new one
# when there is none.
ow_remembered_dir() {
	local file=$1 mode=$2 group=$3 create=${4:-} dir=
	dir=$(head -n1 "$file" 2>/dev/null || true)
	if [[ $dir == /tmp/overwatch.* && -d $dir && ! -L $dir && -O $dir &&
		$(stat -c %a:%G "$dir") == "$mode:$group" ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	[[ $create == create ]] || return 0
	dir=$(mktemp -d /tmp/overwatch.XXXXXXXXXX) || return 1
	chgrp "$group" "$dir" || return 1
	chmod "$mode" "$dir" || return 1
	printf '%s\n' "$dir" >"$file" || return 1
	printf '%s\n' "$dir"
}

#!/usr/bin/env bash
# tests/package/run.sh -- the Debian package, end to end, on this machine:
#
#   1. builds it (dpkg-buildpackage -us -uc -b) from a copy of the checkout
#      and runs lintian on the result (any E: tag fails; W: and I: tags are
#      listed);
#   2. installs the .deb with apt-get, checks the installed files, then
#      follows debian/overwatch.README.Debian as an operator would: database,
#      password file, migrate, first organization and admin, the standalone
#      master run as the systemd unit says (user overwatch), Apache with
#      mod_proxy_fcgi and lighttpd in front of it, the purge job; through
#      each web server: a login, GET /auth/me with the Bearer token, an API
#      key created and used; all along, the modes and owners of
#      /etc/overwatch and that www-data cannot read the secret or the
#      database password (runuser -u www-data -- cat ... fails);
#   3. removes, then purges the package and checks that nothing is left
#      (configuration, user, web server links, processes), then restores the
#      machine (test database and user dropped, modules it enabled disabled,
#      the MariaDB it started stopped).
#
# Prints "ok" or "FAIL" for every check and ends with "N passed, M failed";
# exits non-zero on any failure.
#
# It installs a package system-wide, so it runs only with
# OVERWATCH_TEST_PACKAGE=1 (as root, Debian 12); otherwise it prints a skip
# line and "0 passed, 0 failed".
#
# The machine's own servers are used the way README.Debian says, with two
# deviations, because no init system may be running and port 80 may be taken:
#   - MariaDB: the system server (/etc/init.d/mariadb start when it is not
#     running; stopped again at the end if this script started it);
#   - Apache and lighttpd: instead of "systemctl restart apache2" / "reload
#     lighttpd", a separate instance of each, started by hand on a free
#     loopback port, reading the system configuration tree
#     (/etc/apache2/apache2.conf, /etc/lighttpd/lighttpd.conf and what they
#     include from *-enabled/) from a copy in which only the listening port,
#     the pid file, the logs and run-time directories are changed. A running
#     system Apache or lighttpd is neither reloaded nor stopped by this script.
#
# A tools/quickstart (private MariaDB under state/, lighttpd on its own port)
# is not disturbed. If the script is interrupted, the next run cleans up what
# it left (/var/tmp/overwatch-package-test.state records what it did). It
# refuses to run when an overwatch package, database or MariaDB user exists
# that it did not create.
#
#   OVERWATCH_TEST_PACKAGE=1 tests/package/run.sh [--keep]
#
# --keep keeps the work directory (build logs, web server logs, configs).
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../tools/lib.sh disable=SC1091  # followed with -x
. "$REPO/tools/lib.sh"

if [[ ${OVERWATCH_TEST_PACKAGE:-} != 1 ]]; then
	echo "skip  Debian package test: it installs and purges a package system-wide;" \
		"set OVERWATCH_TEST_PACKAGE=1 to run it"
	echo "0 passed, 0 failed"
	exit 0
fi

keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
*)
	sed -n '2,48p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac

PKG=overwatch
STATE_FILE=/var/tmp/overwatch-package-test.state
LOCK_FILE=/run/lock/overwatch-package-test.lock
PYTHON=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)

passed=0 failed=0 nstep=0 torn_down=0 interrupted=0
t_start=$(ow_now)
W=""

ok() {
	passed=$((passed + 1))
	printf 'ok    %s\n' "$*"
}
bad() {
	failed=$((failed + 1))
	printf 'FAIL  %s\n' "$*"
}
note() { printf '      %s\n' "$*"; }
phase() {
	((interrupted && !torn_down)) && exit 1
	printf '== %s (at %ss)\n' "$*" "$(ow_elapsed "$t_start")"
}

# step LABEL COMMAND...: runs COMMAND (a function may set variables: no
# subshell) with its output in a log; ok, or FAIL with the log's tail.
# COMMAND does not inherit the lock (fd 9): servers it starts would hold it.
# After a signal, the first step to end exits (the EXIT trap cleans up).
step() {
	local label=$1 log rc=0
	shift
	nstep=$((nstep + 1))
	log=$W/steps/$nstep.log
	"$@" >"$log" 2>&1 9>&- || rc=$?
	if ((rc == 0)); then
		ok "$label"
	else
		bad "$label"
		tail -n 25 "$log" | sed 's/^/      | /'
	fi
	if ((interrupted && !torn_down)); then
		exit 1
	fi
	return "$rc"
}

# Records of what this script did, kept across runs (an interrupted run is
# cleaned up by the next one).
mark_add() { grep -qx "$1" "$STATE_FILE" 2>/dev/null || echo "$1" >>"$STATE_FILE"; }
mark_has() { grep -qx "$1" "$STATE_FILE" 2>/dev/null; }
mark_del() {
	[[ -f $STATE_FILE ]] || return 0
	grep -vx "$1" "$STATE_FILE" >"$STATE_FILE.new" || true
	mv "$STATE_FILE.new" "$STATE_FILE"
	[[ -s $STATE_FILE ]] || rm -f "$STATE_FILE"
}

pkg_installed() {
	[[ $(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null) == "install ok installed" ]]
}
# pkg_known: dpkg knows the package in any state but not-installed (e.g.
# installed, or removed with its configuration files left).
pkg_known() {
	local s
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null) || return 1
	[[ ${#s} -ge 2 && ${s:1:1} != n ]]
}

mariadb_up() { mariadb-admin --connect-timeout=2 ping >/dev/null 2>&1; }
sql() { mariadb --batch --skip-column-names "$@"; }
db_exists() { [[ $(sql -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='overwatch'") != 0 ]]; }
db_gone() { ! db_exists && ! dbuser_exists; }
dbuser_exists() { [[ $(sql -e "SELECT COUNT(*) FROM mysql.user WHERE User='overwatch' AND Host='localhost'") != 0 ]]; }

free_port() {
	"$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Processes running a program of the package (also once it is deleted).
package_pids() {
	local d exe
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case $exe in
		/usr/sbin/overwatch-fcgi* | /usr/sbin/overwatch-admin*) printf '%s ' "${d#/proc/}" ;;
		esac
	done
}

# ---------------------------------------------------------------- HTTP

CODE=000
# http NAME METHOD URL [CURL-ARGS...]: body in $W/http/NAME, status in CODE.
# The package runs in production (plain HTTP refused): this test stands for a
# TLS-terminating proxy on this host, trusted by [service] trusted_proxies
# (production_behind_proxy), which says the client came over HTTPS.
http() {
	local name=$1 method=$2 url=$3
	shift 3
	CODE=$(curl -s -m 30 -o "$W/http/$name" -w '%{http_code}' -X "$method" \
		-H 'X-Forwarded-Proto: https' "$@" "$url") || CODE=000
	echo "$method $url -> $CODE $(head -c 400 "$W/http/$name" 2>/dev/null)"
}
# jfield FILE KEY[.KEY...]: one value of a JSON document.
jfield() {
	"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[k]
print(d)' "$1" "$2"
}
expect() { # expect CODE: the last request's status
	[[ $CODE == "$1" ]] || {
		echo "expected $1"
		return 1
	}
}

ADMIN_EMAIL=admin@example.com
ADMIN_PW=""
api_health() {
	local end=$((SECONDS + 30))
	while ((SECONDS < end)); do
		http "$1-health" GET "$2/health" -m 5
		[[ $CODE == 200 ]] && break
		sleep 0.2
	done
	expect 200 && [[ $(jfield "$W/http/$1-health" database) == ok ]]
}
api_login() {
	http "$1-login" POST "$2/auth/login" -H 'Content-Type: application/json' \
		-d "{\"email\": \"$ADMIN_EMAIL\", \"password\": \"$ADMIN_PW\"}"
	expect 200 && ACCESS=$(jfield "$W/http/$1-login" access_token) && [[ -n $ACCESS ]]
}
api_me() {
	http "$1-me" GET "$2/auth/me" -H "Authorization: Bearer $ACCESS"
	expect 200 && [[ $(jfield "$W/http/$1-me" user.email) == "$ADMIN_EMAIL" ]] &&
		[[ $(jfield "$W/http/$1-me" type) == user ]]
}
api_plain_http() { # no proxy's word for HTTPS: production refuses it
	CODE=$(curl -s -m 30 -o "$W/http/$1-plain" -w '%{http_code}' "$2/health") || CODE=000
	expect 403 && [[ $(jfield "$W/http/$1-plain" code) == HTTPS_REQUIRED ]]
}
api_no_credential() {
	http "$1-anon" GET "$2/auth/me"
	expect 401
}
api_key_create() {
	http "$1-key" POST "$2/api-keys" -H "Authorization: Bearer $ACCESS" \
		-H 'Content-Type: application/json' \
		-d "{\"name\": \"package test $1\", \"permissions\": [\"incidents:read\", \"incidents:create\"]}"
	expect 201 && KEY=$(jfield "$W/http/$1-key" api_key) && [[ $KEY == overwatch_ak_* ]]
}
api_key_use() {
	http "$1-key-me" GET "$2/auth/me" -H "X-API-Key: $KEY"
	expect 200 && [[ $(jfield "$W/http/$1-key-me" type) == api_key ]] || return 1
	http "$1-key-incident" POST "$2/incidents" -H "X-API-Key: $KEY" \
		-H 'Content-Type: application/json' -d "{\"title\": \"package test via $1\", \"severity\": \"low\"}"
	expect 201 && [[ $(jfield "$W/http/$1-key-incident" created_by.type) == api_key ]] || return 1
	http "$1-key-users" GET "$2/users" -H "X-API-Key: $KEY"
	expect 403
}
api_mfa() { # the conffile's [mfa] secret_file: the policy answers (409 without it)
	http "$1-mfa" GET "$2/mfa-policy" -H "Authorization: Bearer $ACCESS"
	expect 200 && [[ $(jfield "$W/http/$1-mfa" require) == none ]]
}
api_console() { # the console is served next to the API, at /overwatch/
	http "$1-console" GET "${2%/api/v1}/overwatch/" -m 5
	expect 200 && grep -q 'js/main.js' "$W/http/$1-console" || return 1
	http "$1-console-js" GET "${2%/api/v1}/overwatch/js/api.js" -m 5
	expect 200 && grep -q 'export function api' "$W/http/$1-console-js"
}
ACCESS="" KEY=""
# api_flow LABEL BASE-URL: the requests every front end must pass.
api_flow() {
	local label=$1 base=$2
	ACCESS="" KEY=""
	step "$label: GET /api/v1/health answers, database ok" api_health "$label" "$base" || return 1
	step "$label: plain HTTP, not through the trusted proxy: 403 HTTPS_REQUIRED" api_plain_http "$label" "$base"
	step "$label: no credential: 401" api_no_credential "$label" "$base"
	step "$label: POST /api/v1/auth/login as the admin made by overwatch-admin" api_login "$label" "$base" || return 1
	step "$label: GET /api/v1/auth/me with the Bearer token (Authorization reaches the service)" \
		api_me "$label" "$base"
	step "$label: GET /api/v1/mfa-policy: 200 {require: none} (two-factor sign-in offered)" api_mfa "$label" "$base"
	step "$label: POST /api/v1/api-keys (Bearer) creates a key" api_key_create "$label" "$base" || return 1
	step "$label: the key works (X-API-Key: /auth/me, create an incident; /users 403)" \
		api_key_use "$label" "$base"
	step "$label: the browser console is served at /overwatch/" api_console "$label" "$base"
}

# ---------------------------------------------------------------- web servers

APORT="" LPORT=""
apache_cmd() { # apache_cmd ARGS...: the separate Apache instance
	(
		set +u # envvars reads variables that may be unset
		# shellcheck source=/dev/null
		. /etc/apache2/envvars
		export APACHE_PID_FILE=$W/apache/run/apache2.pid APACHE_RUN_DIR=$W/apache/run \
			APACHE_LOCK_DIR=$W/apache/lock APACHE_LOG_DIR=$W/apache/log
		exec apache2 -d /etc/apache2 -f "$W/apache/apache2.conf" \
			-c "FcgidIPCDir $W/apache/fcgid" -c "FcgidProcessTableFile $W/apache/fcgid.shm" \
			-c "ServerName localhost" "$@"
	)
}
apache_config() {
	mkdir -p "$W/apache/run" "$W/apache/lock" "$W/apache/log" "$W/apache/fcgid"
	# mod_fcgid's process manager (www-data) makes the sockets there.
	chown www-data:www-data "$W/apache/fcgid"
	# The system's apache2.conf with ports.conf (Listen 80) replaced.
	sed "s|^Include ports.conf\$|Listen 127.0.0.1:$APORT|" /etc/apache2/apache2.conf >"$W/apache/apache2.conf"
	grep -qx "Listen 127.0.0.1:$APORT" "$W/apache/apache2.conf" || {
		echo "no 'Include ports.conf' line in /etc/apache2/apache2.conf"
		return 1
	}
	apache_cmd -t
}
apache_start() {
	apache_cmd -k start && ow_wait_for 20 test -s "$W/apache/run/apache2.pid" &&
		ow_wait_for 20 curl -s -o /dev/null "http://127.0.0.1:$APORT/"
}
apache_stop() {
	[[ -s $W/apache/run/apache2.pid ]] || return 0
	local pid
	pid=$(cat "$W/apache/run/apache2.pid")
	if ! ow_proc_matches "$pid" apache2; then
		rm -f "$W/apache/run/apache2.pid"
		return 0
	fi
	apache_cmd -k stop
	ow_wait_for 30 bash -c "! kill -0 $pid 2>/dev/null"
}

lighttpd_config() {
	mkdir -p "$W/lighttpd"
	# lighttpd opens its error log as server.username.
	chown www-data:www-data "$W/lighttpd"
	# The system's lighttpd.conf: own port on loopback, pid file and error log;
	# without the IPv6 listener that use-ipv6.pl adds on all addresses.
	sed -e "s|^server.port .*|server.port = $LPORT\nserver.bind = \"127.0.0.1\"|" \
		-e "s|^server.pid-file .*|server.pid-file = \"$W/lighttpd/lighttpd.pid\"|" \
		-e "s|^server.errorlog .*|server.errorlog = \"$W/lighttpd/error.log\"|" \
		-e '/use-ipv6\.pl/d' /etc/lighttpd/lighttpd.conf >"$W/lighttpd/lighttpd.conf"
	if ! grep -q "^server.port = $LPORT\$" "$W/lighttpd/lighttpd.conf" ||
		! grep -q "^server.pid-file = \"$W" "$W/lighttpd/lighttpd.conf" ||
		! grep -q "^server.errorlog = \"$W" "$W/lighttpd/lighttpd.conf"; then
		echo "unexpected /etc/lighttpd/lighttpd.conf: port, pid-file or errorlog not replaced"
		return 1
	fi
	# Debian's tmpfiles.d entry (made by the init script too).
	[[ -d /run/lighttpd ]] || install -d -o www-data -g www-data -m 0750 /run/lighttpd
	lighttpd -tt -f "$W/lighttpd/lighttpd.conf"
}
lighttpd_start() {
	rm -f "$W/lighttpd/lighttpd.pid"
	lighttpd -f "$W/lighttpd/lighttpd.conf" && ow_wait_for 20 test -s "$W/lighttpd/lighttpd.pid"
}
lighttpd_stop() {
	[[ -s $W/lighttpd/lighttpd.pid ]] || return 0
	local pid
	pid=$(cat "$W/lighttpd/lighttpd.pid")
	if ow_proc_matches "$pid" "$W/lighttpd/lighttpd.conf"; then
		kill -TERM "$pid"
		ow_wait_for 30 bash -c "! kill -0 $pid 2>/dev/null" || return 1
	fi
	rm -f "$W/lighttpd/lighttpd.pid"
}

# The standalone master, run as overwatch.service would run it.
UNIT=/lib/systemd/system/overwatch.service
MASTER_PID=""
unit_value() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
master_start() {
	local user group groups mode rtdir umask_ pre exec
	local -a pre_argv exec_argv
	user=$(unit_value "$UNIT" User)
	group=$(unit_value "$UNIT" Group)
	groups=$(unit_value "$UNIT" SupplementaryGroups)
	rtdir=$(unit_value "$UNIT" RuntimeDirectory)
	mode=$(unit_value "$UNIT" RuntimeDirectoryMode)
	umask_=$(unit_value "$UNIT" UMask)
	pre=$(unit_value "$UNIT" ExecStartPre)
	exec=$(unit_value "$UNIT" ExecStart)
	[[ -n $user && -n $group && -n $rtdir && -n $exec ]] || {
		echo "User, Group, RuntimeDirectory or ExecStart missing in $UNIT"
		return 1
	}
	read -ra pre_argv <<<"$pre"
	read -ra exec_argv <<<"$exec"
	install -d -o "$user" -g "$group" -m "${mode:-0755}" "/run/$rtdir"
	local -a as_unit=(setpriv --reuid="$user" --regid="$group" --groups="${groups:-$group}"
		--no-new-privs --inh-caps=-all --bounding-set=-all --)
	echo "ExecStartPre: ${pre_argv[*]}"
	if ((${#pre_argv[@]})); then
		(umask "${umask_:-0022}" && "${as_unit[@]}" "${pre_argv[@]}") || return 1
	fi
	echo "ExecStart: ${exec_argv[*]}"
	(umask "${umask_:-0022}" && exec setsid "${as_unit[@]}" "${exec_argv[@]}") \
		</dev/null >>"$W/master.log" 2>&1 &
	MASTER_PID=$!
	echo "$MASTER_PID" >"$W/master.pid"
	ow_wait_for 20 test -S "/run/$rtdir/overwatch.sock" || {
		cat "$W/master.log"
		return 1
	}
}
master_socket_ok() {
	local s
	s=$(stat -c '%U:%G %a' /run/overwatch/overwatch.sock) || return 1
	echo "socket: $s"
	[[ $s == "overwatch:www-data 660" ]] &&
		[[ $(ps -o user= -p "$MASTER_PID" | tr -d ' ') == overwatch ]]
}
master_stop() {
	[[ -n $MASTER_PID ]] || return 0
	kill -TERM "$MASTER_PID" 2>/dev/null || true
	ow_wait_for 40 bash -c "! kill -0 $MASTER_PID 2>/dev/null" || {
		kill -KILL "$MASTER_PID" 2>/dev/null || true
		return 1
	}
	local rc=0
	wait "$MASTER_PID" 2>/dev/null || rc=$?
	MASTER_PID=""
	rm -f "$W/master.pid"
	rm -rf /run/overwatch # systemd removes the RuntimeDirectory on stop
	echo "exit status $rc"
	((rc == 0))
}
purge_job() {
	local exec user group
	local -a argv
	exec=$(unit_value /lib/systemd/system/overwatch-purge.service ExecStart)
	user=$(unit_value /lib/systemd/system/overwatch-purge.service User)
	group=$(unit_value /lib/systemd/system/overwatch-purge.service Group)
	read -ra argv <<<"$exec"
	echo "as $user:$group: ${argv[*]}"
	setpriv --reuid="$user" --regid="$group" --clear-groups --no-new-privs -- "${argv[@]}"
}

# ---------------------------------------------------------------- teardown

MARIADB_STARTED=0
# Stops what this run started and undoes what it did (also what an
# interrupted run left, as recorded in STATE_FILE). Each action reports.
teardown() {
	((torn_down)) && return 0
	torn_down=1
	phase "restore the machine"
	if [[ -n $W ]]; then
		step "stop the test lighttpd" lighttpd_stop
		step "stop the test Apache" apache_stop
		step "stop the standalone master" master_stop
	fi
	if pkg_known; then
		if mark_has package; then
			step "purge the package left installed" "${APT[@]}" purge "$PKG"
		else
			note "an $PKG package not installed by this test is left alone"
		fi
	fi
	mark_del package
	if mark_has database; then
		step "drop the test database and MariaDB user" \
			sql -e "DROP DATABASE IF EXISTS overwatch; DROP USER IF EXISTS 'overwatch'@'localhost'; DROP USER IF EXISTS 'overwatch_admin'@'localhost'" &&
			mark_del database
		mariadb_up && step "no test database or MariaDB user left" db_gone
	fi
	[[ -z $MASTER_PID && -d /run/overwatch ]] && rm -rf /run/overwatch
	local m
	for m in proxy_fcgi proxy; do
		if mark_has "apache-$m"; then
			step "disable mod_$m again (this test enabled it)" a2dismod -q -f "$m" && mark_del "apache-$m"
		fi
	done
	if mark_has lighttpd-fastcgi; then
		step "disable lighttpd's fastcgi again (this test enabled it)" lighty-disable-mod fastcgi &&
			mark_del lighttpd-fastcgi
	fi
	if mark_has mariadb || ((MARIADB_STARTED)); then
		step "stop the system MariaDB (this test started it)" /etc/init.d/mariadb stop && mark_del mariadb
	fi
	local left
	left=$(package_pids)
	if [[ -z $left ]]; then
		ok "no process of the package is running"
	else
		bad "processes of the package still running: $left"
		ps -o pid,user,args -p "${left// /,}" | sed 's/^/      | /'
	fi
}

finish() {
	((interrupted)) && bad "interrupted by a signal"
	teardown
	# The next run stops what is still running from this one.
	if [[ -n $W && ! -e $W/apache/run/apache2.pid && ! -e $W/lighttpd/lighttpd.pid && ! -e $W/master.pid ]]; then
		mark_del "workdir $W"
	fi
	[[ -f $STATE_FILE ]] && note "left in $STATE_FILE: $(tr '\n' ' ' <"$STATE_FILE")"
	if [[ -n $W ]]; then
		if ((keep || failed)); then note "work directory kept: $W"; else rm -rf "$W"; fi
	fi
	printf '== total %ss\n' "$(ow_elapsed "$t_start")"
	echo "$passed passed, $failed failed"
}
# A signal ends the run at the end of the current step (or now, between
# steps); the handler runs inside a step's redirections, so it only notes it.
on_signal() {
	trap - INT TERM HUP
	interrupted=1
}

# ================================================================ main

if ((EUID != 0)); then
	bad "must run as root (it installs a package)"
	echo "$passed passed, $failed failed"
	exit 1
fi
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
	bad "another tests/package/run.sh is running (lock $LOCK_FILE)"
	echo "$passed passed, $failed failed"
	exit 1
fi

W=$(mktemp -d /tmp/overwatch-package.XXXXXX)
# Apache's and lighttpd's workers (www-data) reach their run-time files here.
chmod 0755 "$W"
mkdir -p "$W/steps" "$W/http"
trap on_signal INT TERM HUP
trap 'finish' EXIT

# ---------------------------------------------------------------- preflight
phase "preflight"
step "packages for building, checking and serving are installed" ow_install_packages \
	build-essential dpkg-dev debhelper dh-apache2 lintian curl procps util-linux \
	mariadb-server mariadb-client apache2 libapache2-mod-fcgid lighttpd python3 || exit 1

if [[ -f $STATE_FILE ]]; then
	note "an earlier run left: $(tr '\n' ' ' <"$STATE_FILE")-- cleaning up"
fi
# The servers of a run killed without its clean-up (SIGKILL).
stop_old_servers() {
	local old=$1
	ow_stop_pidfile "$old/lighttpd/lighttpd.pid" "$old/lighttpd/lighttpd.conf" 30 || true
	ow_stop_pidfile "$old/apache/run/apache2.pid" "$old/apache/apache2.conf" 30 || true
	ow_stop_pidfile "$old/master.pid" unix:/run/overwatch/overwatch.sock 40 || true
	rm -rf /run/overwatch
	ow_stop_matching "$old/" || true # anything else of that run
}
while read -r old; do
	[[ $old == /tmp/overwatch-package.* && -d $old ]] &&
		step "stop the servers of an interrupted run ($old)" stop_old_servers "$old"
	mark_del "workdir $old"
done < <(sed -n 's/^workdir //p' "$STATE_FILE" 2>/dev/null)
mark_add "workdir $W"
if pkg_known && ! mark_has package; then
	bad "an $PKG package is installed that this test did not install: not touching it"
	exit 1
fi
if pkg_known; then
	step "purge the package an interrupted run left" "${APT[@]}" purge "$PKG" || exit 1
	mark_del package
fi

if mariadb_up; then
	ok "the system MariaDB is running (left running afterwards)"
else
	mark_add mariadb
	MARIADB_STARTED=1
	step "start the system MariaDB (/etc/init.d/mariadb start)" /etc/init.d/mariadb start &&
		ow_wait_for 60 mariadb_up || exit 1
fi
if mark_has database; then
	step "drop the test database an interrupted run left" \
		sql -e "DROP DATABASE IF EXISTS overwatch; DROP USER IF EXISTS 'overwatch'@'localhost'; DROP USER IF EXISTS 'overwatch_admin'@'localhost'" || exit 1
	mark_del database
fi
if db_exists || dbuser_exists; then
	bad "database 'overwatch' or user 'overwatch'@'localhost' exists and was not made by this test"
	exit 1
fi
APORT=$(free_port)
LPORT=$(free_port)
while [[ $LPORT == "$APORT" ]]; do LPORT=$(free_port); done
note "work directory $W; Apache on 127.0.0.1:$APORT, lighttpd on 127.0.0.1:$LPORT"

# ---------------------------------------------------------------- 1. build
phase "1. build the package and run lintian"
copy_tree() {
	mkdir -p "$W/build/src"
	if git -C "$REPO" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		# Tracked and untracked files, without what .gitignore names (build
		# outputs, state/), without node_modules and the fuzz build.
		(cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
			grep -zv -e '^state/' -e '/node_modules/' -e '^node_modules/' -e '^tests/fuzz/build/' |
			while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$W/build/src" -xf -
	else
		tar -C "$REPO" --exclude=./.git --exclude=./state --exclude=node_modules \
			--exclude=./tests/fuzz/build --exclude=./autom4te.cache --exclude='*.o' \
			--exclude='*.a' --exclude='*.log' --exclude='*.trs' --exclude=./Makefile \
			--exclude=./Makefile.in --exclude=./configure --exclude=./config.status \
			--exclude=./overwatch-fcgi --exclude=./overwatch-admin --exclude=.deps \
			-cf - . | tar -C "$W/build/src" -xf -
	fi
	[[ -f $W/build/src/debian/control && ! -e $W/build/src/state && ! -e $W/build/src/config.status ]]
	du -sh "$W/build/src"
}
build() {
	cd "$W/build/src" || return 1
	if ! dpkg-checkbuilddeps; then
		"${APT[@]}" build-dep ./ || return 1
	fi
	dpkg-buildpackage -us -uc -b
	local rc=$?
	cd "$REPO" || return 1
	return "$rc"
}
step "copy the checkout (no .git, state/, node_modules, build outputs)" copy_tree || exit 1
t=$(ow_now)
step "dpkg-buildpackage -us -uc -b" build || exit 1
note "built in $(ow_elapsed "$t")s"
VERSION=$(cd "$W/build/src" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
DEB=$W/build/${PKG}_${VERSION}_${ARCH}.deb
CHANGES=$W/build/${PKG}_${VERSION}_${ARCH}.changes
if [[ -f $DEB && -f $CHANGES ]]; then
	ok "built $(basename "$DEB")"
else
	bad "no $DEB or $CHANGES"
	exit 1
fi

run_lintian() {
	local -a lintian=(lintian --pedantic --display-info --display-experimental --show-overrides
		--tag-display-limit 0 "$CHANGES")
	# lintian warns against running as root; run it as nobody when it can read the build.
	if setpriv --reuid=nobody --regid=nogroup --clear-groups -- test -r "$CHANGES"; then
		HOME=$W/build setpriv --reuid=nobody --regid=nogroup --clear-groups -- "${lintian[@]}"
	else
		"${lintian[@]}"
	fi
}
run_lintian >"$W/lintian.txt" 2>&1
errors=$(grep -c '^E: ' "$W/lintian.txt")
warnings=$(grep -c '^W: ' "$W/lintian.txt")
if ((errors == 0)) && ! grep -q '^internal error\|^Traceback\|died at' "$W/lintian.txt"; then
	ok "lintian: no errors ($warnings warnings, pedantic, info and experimental shown)"
else
	bad "lintian: $errors errors"
fi
grep -E '^[EWIPXO]: ' "$W/lintian.txt" | sed 's/^/      /'
grep -E '^N: [0-9]+ (tag|hint)' "$W/lintian.txt" | sed 's/^/      /'

# ---------------------------------------------------------------- 2. install
phase "2. install the package and check the installed files"
mark_add package
apt_install_deb() {
	(cd "$W/build" && "${APT[@]}" install "./$(basename "$DEB")")
}
step "apt-get install -y ./$(basename "$DEB")" apt_install_deb || exit 1
if pkg_installed; then
	ok "dpkg: $PKG $VERSION installed"
else
	bad "dpkg status: $(dpkg-query -W -f='${Status}' "$PKG" 2>&1)"
fi

check_programs() {
	[[ -x /usr/sbin/overwatch-fcgi && -x /usr/sbin/overwatch-admin ]] &&
		/usr/sbin/overwatch-fcgi --routes | head -n 5
}
check_conffile() {
	local c
	c=$(dpkg-query -W -f='${Conffiles}\n' "$PKG" | tee /dev/stderr)
	# The mod_fcgid settings the Apache configuration includes are a conffile too.
	grep -q '^ /etc/overwatch/overwatch.conf ' <<<"$c" &&
		grep -q '^ /etc/overwatch/apache2-fcgid.conf ' <<<"$c" &&
		sed -e 's/^environment = development$/environment = production/' \
			-e 's|^pepper_file =$|pepper_file = /etc/overwatch/pepper|' "$REPO/etc/overwatch.conf" |
		cmp - /etc/overwatch/overwatch.conf &&
		cmp "$REPO/etc/apache2-fcgid.conf" /etc/overwatch/apache2-fcgid.conf
}
check_sql() {
	local f n=0
	for f in "$REPO"/sql/*.sql; do
		cmp "$f" "/usr/share/overwatch/sql/${f##*/}" || return 1
		n=$((n + 1))
	done
	echo "$n migrations"
	((n > 0)) && [[ $(find /usr/share/overwatch/sql -name '*.sql' | wc -l) == "$n" ]]
}
check_man() {
	local p
	for p in man8/overwatch-fcgi.8.gz man8/overwatch-admin.8.gz man5/overwatch.conf.5.gz; do
		[[ -f /usr/share/man/$p ]] || {
			echo "no /usr/share/man/$p"
			return 1
		}
		# man(7) or mdoc(7)
		zcat "/usr/share/man/$p" | grep -qE '^\.(TH|Dt) ' || {
			echo "/usr/share/man/$p: no .TH or .Dt"
			return 1
		}
	done
	man -w overwatch-fcgi overwatch-admin overwatch.conf || return 1
	# Rendered without groff warnings.
	local w
	w=$(for p in overwatch-fcgi.8 overwatch-admin.8 overwatch.conf.5; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "/usr/share/man/man${p##*.}/$p.gz" 2>&1 >/dev/null
	done)
	[[ -z $w ]] || {
		echo "$w"
		return 1
	}
}
check_web_confs() {
	cmp "$REPO/etc/apache2/overwatch.conf" /etc/apache2/conf-available/overwatch.conf &&
		cmp "$REPO/etc/apache2/overwatch-proxy.conf" /etc/apache2/conf-available/overwatch-proxy.conf &&
		cmp "$REPO/etc/lighttpd/50-overwatch.conf" /etc/lighttpd/conf-available/50-overwatch.conf &&
		[[ -f /etc/apache2/conf-available/overwatch-authorizer.conf ]] &&
		[[ -f /etc/lighttpd/conf-available/60-overwatch-authorizer.conf ]]
}
check_not_enabled() {
	local f
	for f in /etc/apache2/conf-enabled/overwatch.conf /etc/apache2/conf-enabled/overwatch-proxy.conf \
		/etc/apache2/conf-enabled/overwatch-authorizer.conf \
		/etc/lighttpd/conf-enabled/50-overwatch.conf /etc/lighttpd/conf-enabled/60-overwatch-authorizer.conf; do
		if [[ -e $f || -L $f ]]; then
			echo "$f: enabled by the package"
			return 1
		fi
	done
}
check_units() {
	local u
	for u in overwatch.service overwatch-purge.service overwatch-purge.timer; do
		[[ -f /lib/systemd/system/$u ]] || {
			echo "no /lib/systemd/system/$u"
			return 1
		}
		if compgen -G "/etc/systemd/system/*.wants/$u" >/dev/null; then
			echo "$u is enabled"
			return 1
		fi
	done
	# Offline check of the unit files (no systemd needs to run).
	SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no /lib/systemd/system/overwatch.service \
		/lib/systemd/system/overwatch-purge.service /lib/systemd/system/overwatch-purge.timer 2>&1 |
		grep -v -e 'mariadb.service' -e 'Failed to .*connect to bus' -e 'Cannot add dependency' |
		tee "$W/units.txt"
	[[ ! -s $W/units.txt ]]
}
check_user() {
	local pw uid shell home
	pw=$(getent passwd overwatch) || return 1
	echo "$pw"
	IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
	((uid < 1000)) && [[ $home == /nonexistent && $shell == */nologin ]] && getent group overwatch
}
check_secret() {
	local d s f
	d=$(stat -c '%U:%G %a' /etc/overwatch)
	echo "/etc/overwatch: $d"
	[[ $d == "root:overwatch 750" ]] || return 1
	# jwt.secret signs tokens; mfa.secret is the key the shipped [mfa]
	# secret_file names (two-factor sign-in offered from the start).
	# pepper is the password pepper the shipped [password] pepper_file names.
	for f in jwt.secret mfa.secret pepper; do
		s=$(stat -c '%U:%G %a %s' "/etc/overwatch/$f") || return 1
		echo "$f: $s"
		[[ $s == "root:overwatch 640 "* ]] && (($(stat -c %s "/etc/overwatch/$f") >= 32)) || return 1
	done
	grep -qx 'secret_file = /etc/overwatch/mfa.secret' /etc/overwatch/overwatch.conf &&
		grep -qx 'pepper_file = /etc/overwatch/pepper' /etc/overwatch/overwatch.conf
}
step "programs in /usr/sbin (overwatch-fcgi --routes runs)" check_programs
step "/etc/overwatch/overwatch.conf (environment = production, pepper_file set) and apache2-fcgid.conf are conffiles, the shipped files" check_conffile
step "/usr/share/overwatch/sql/*.sql are the tree's migrations" check_sql
step "man pages overwatch-fcgi(8), overwatch-admin(8), overwatch.conf(5), no groff warnings" check_man
step "conf-available: Apache overwatch.conf and overwatch-proxy.conf, lighttpd 50-overwatch.conf (and the authorizer's)" check_web_confs
step "no web server configuration enabled by the package" check_not_enabled
step "systemd units installed, not enabled, systemd-analyze verify clean" check_units
step "system user and group overwatch (home /nonexistent, nologin)" check_user
step "/etc/overwatch root:overwatch 0750, jwt.secret, mfa.secret and pepper root:overwatch 0640 (>= 32 bytes), named by the conffile" check_secret
step "README.Debian installed" test -s /usr/share/doc/overwatch/README.Debian
step "shared-hosting.md installed where README.Debian says (uncompressed)" \
	test -s /usr/share/doc/overwatch/shared-hosting.md

# ---------------------------------------------------------------- README.Debian
phase "2. README.Debian, as an operator"
README=/usr/share/doc/overwatch/README.Debian
# readme_says TEXT: README.Debian still documents TEXT (spaces normalized),
# so what follows keeps doing what it says.
readme_says() {
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$README" | tr -s ' \t\n' ' ' | grep -qF -- "$(tr -s ' \t\n' ' ' <<<"$1" | sed 's/ $//')"
}
readme_check() {
	local t absent=0
	for t in "$@"; do
		readme_says "$t" || {
			echo "README.Debian no longer says: $t"
			absent=1
		}
	done
	((absent == 0))
}
step "README.Debian documents the commands run below" readme_check \
	"mariadb -e \"CREATE DATABASE overwatch CHARACTER SET utf8mb4;" \
	"CREATE USER 'overwatch'@'localhost' IDENTIFIED BY 'CHANGE-ME';" \
	"CREATE USER 'overwatch_admin'@'localhost' IDENTIFIED BY 'CHANGE-ME-TOO';" \
	"GRANT ALL ON overwatch.* TO 'overwatch_admin'@'localhost' WITH GRANT OPTION;\"" \
	"printf '%s\n' 'CHANGE-ME' > /etc/overwatch/db.password" \
	"chgrp overwatch /etc/overwatch/db.password; chmod 0640 /etc/overwatch/db.password" \
	"(umask 077; printf '%s\n' 'CHANGE-ME-TOO' > /etc/overwatch/db-admin.password)" \
	"set password_file = /etc/overwatch/db.password, admin_user = overwatch_admin and admin_password_file = /etc/overwatch/db-admin.password in the [database] section" \
	"overwatch-admin grant-service overwatch localhost" \
	"overwatch.conf says environment = production" \
	"proxy listed in [service] trusted_proxies that sends X-Forwarded-Proto: https" \
	"overwatch-admin migrate" \
	"ORG=\$(overwatch-admin create-org \"Example Corp\")" \
	"overwatch-admin create-user --org \"\$ORG\" --email admin@example.com --name Admin --role admin" \
	"systemctl enable --now overwatch" \
	"a2enmod proxy_fcgi && a2enconf overwatch-proxy && systemctl restart apache2" \
	"lighty-enable-mod fastcgi overwatch && systemctl reload lighttpd" \
	"Do not add www-data to the group overwatch" \
	"systemctl enable --now overwatch-purge.timer"

DB_PASSWORD=$(ow_random_password)
DB_ADMIN_PASSWORD=$(ow_random_password)
ADMIN_PW=$(ow_random_password)
readme_database() {
	mark_add database
	# 1. with real passwords instead of CHANGE-ME and CHANGE-ME-TOO
	mariadb -e "CREATE DATABASE overwatch CHARACTER SET utf8mb4;
                 CREATE USER 'overwatch'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
                 CREATE USER 'overwatch_admin'@'localhost' IDENTIFIED BY '$DB_ADMIN_PASSWORD';
                 GRANT ALL ON overwatch.* TO 'overwatch_admin'@'localhost' WITH GRANT OPTION;" ||
		return 1
	printf '%s\n' "$DB_PASSWORD" >/etc/overwatch/db.password
	chgrp overwatch /etc/overwatch/db.password
	chmod 0640 /etc/overwatch/db.password
	(umask 077; printf '%s\n' "$DB_ADMIN_PASSWORD" >/etc/overwatch/db-admin.password)
}
readme_password_file() {
	# The operator's edit: password_file in [database] (the only such key).
	[[ $(grep -c '^password_file *=' /etc/overwatch/overwatch.conf) == 1 ]] || return 1
	sed -i -e 's|^password_file *=.*|password_file = /etc/overwatch/db.password|' \
		-e 's|^admin_user *=.*|admin_user = overwatch_admin|' \
		-e 's|^admin_password_file *=.*|admin_password_file = /etc/overwatch/db-admin.password|' \
		/etc/overwatch/overwatch.conf
	awk '/^\[/ { s = $0 } /^(admin_)?(password_file|user)/ { print s ": " $0 }' /etc/overwatch/overwatch.conf |
		sort | tr '\n' ' ' | grep -qx '\[database\]: admin_password_file = /etc/overwatch/db-admin.password \[database\]: admin_user = overwatch_admin \[database\]: password_file = /etc/overwatch/db.password \[database\]: user = overwatch '
}
ORG=""
readme_org() {
	ORG=$(overwatch-admin create-org "Example Corp") && echo "org $ORG" && [[ $ORG =~ ^[0-9a-f-]{36}$ ]]
}
readme_user() {
	printf '%s\n' "$ADMIN_PW" | overwatch-admin create-user --org "$ORG" --email admin@example.com \
		--name Admin --role admin
}
production_behind_proxy() {
	grep -qx 'environment = production' /etc/overwatch/overwatch.conf &&
		[[ $(grep -c '^trusted_proxies *=' /etc/overwatch/overwatch.conf) == 1 ]] &&
		sed -i 's|^trusted_proxies *=.*|trusted_proxies = 127.0.0.1|' /etc/overwatch/overwatch.conf
}
check_config() {
	overwatch-fcgi --check-config --config /etc/overwatch/overwatch.conf
}
step "1. create the database and its user (mariadb -e ...), db.password root:overwatch 0640" readme_database || exit 1
step "1. password_file, admin_user, admin_password_file in [database] of the conffile" readme_password_file
step "the package's conffile says environment = production; 127.0.0.1 stands for a TLS-terminating proxy (trusted_proxies)" \
	production_behind_proxy
step "1. overwatch-admin migrate" overwatch-admin migrate
step "1. overwatch-admin migrate again (idempotent)" overwatch-admin migrate
step "1. overwatch-admin grant-service overwatch localhost" overwatch-admin grant-service overwatch localhost
step "overwatch-fcgi --check-config (configuration and secret)" check_config
step "2. ORG=\$(overwatch-admin create-org \"Example Corp\")" readme_org
step "2. overwatch-admin create-user ... --role admin, password on stdin" readme_user

# Who reads the secrets (README.Debian): the user overwatch only; checked
# after the set-up steps and again after both web servers ran.
secrets_private() {
	local f s bad_=0
	for f in /etc/overwatch:"root:overwatch 750" /etc/overwatch/jwt.secret:"root:overwatch 640" \
		/etc/overwatch/mfa.secret:"root:overwatch 640" /etc/overwatch/db.password:"root:overwatch 640" \
		/etc/overwatch/db-admin.password:"root:root 600"; do
		s=$(stat -c '%U:%G %a' "${f%%:*}") || return 1
		echo "${f%%:*}: $s"
		[[ $s == "${f#*:}" ]] || bad_=1
	done
	if id -nG www-data | tr ' ' '\n' | grep -qx overwatch; then
		echo "www-data is in group overwatch"
		bad_=1
	fi
	for f in /etc/overwatch/jwt.secret /etc/overwatch/mfa.secret /etc/overwatch/db.password \
		/etc/overwatch/overwatch.conf; do
		ow_read_refused "$f" runuser -u www-data -- cat || bad_=1
	done
	# The migration user's password: not even the service's user reads it.
	ow_read_refused /etc/overwatch/db-admin.password runuser -u overwatch -- cat || bad_=1
	# The check can fail: the service's own user reads them.
	runuser -u overwatch -- cat /etc/overwatch/jwt.secret /etc/overwatch/mfa.secret \
		/etc/overwatch/db.password >/dev/null || bad_=1
	((bad_ == 0))
}
step "only overwatch reads the secrets: modes and owners; runuser -u www-data -- cat jwt.secret, mfa.secret, db.password, overwatch.conf fail" \
	secrets_private

# 3. The service as user overwatch: what overwatch.service runs.
fcgi_workers_as() { # the package's running processes all run as $1
	local pids p u n=0
	pids=$(package_pids)
	for p in $pids; do
		u=$(ps -o user= -p "$p" | tr -d ' ')
		echo "pid $p: $u $(tr '\0' ' ' <"/proc/$p/cmdline")"
		[[ $u == "$1" ]] || return 1
		n=$((n + 1))
	done
	((n > 0))
}
if ! step "3. systemctl enable --now overwatch: the unit's ExecStartPre and ExecStart as User/Group/SupplementaryGroups, RuntimeDirectory, UMask" master_start; then
	bad "the web servers are not tried without the service"
else
	step "the master runs as overwatch, socket overwatch:www-data 0660" master_socket_ok

	# 4. Apache with mod_proxy_fcgi
	apache_enable() {
		local m
		for m in proxy proxy_fcgi; do
			[[ -e /etc/apache2/mods-enabled/$m.load ]] || mark_add "apache-$m"
		done
		a2enmod proxy_fcgi && a2enconf overwatch-proxy
	}
	step "4. a2enmod proxy_fcgi && a2enconf overwatch-proxy" apache_enable
	if step "Apache: the system configuration with Listen 127.0.0.1:$APORT passes apache2 -t" apache_config &&
		step "Apache: start the separate instance" apache_start; then
		api_flow "Apache mod_proxy_fcgi" "http://127.0.0.1:$APORT/api/v1"
		step "Apache: every process of the package runs as overwatch (none as www-data)" fcgi_workers_as overwatch
		step "Apache: stop" apache_stop
	fi
	if [[ -s $W/apache/log/error.log ]]; then
		grep -iE 'error|warn|emerg|crit' "$W/apache/log/error.log" | grep -v 'AH00558' | head -n 5 | sed 's/^/      apache: /'
	fi

	# 4. lighttpd in front of the same service (Variant 1 of 50-overwatch.conf)
	lighttpd_enable() {
		[[ -e /etc/lighttpd/conf-enabled/10-fastcgi.conf ]] || mark_add lighttpd-fastcgi
		lighty-enable-mod fastcgi overwatch
		[[ -L /etc/lighttpd/conf-enabled/50-overwatch.conf && -L /etc/lighttpd/conf-enabled/10-fastcgi.conf ]]
	}
	lighttpd_socket() { # the active block connects to the service's socket
		lighttpd -p -f "$W/lighttpd/lighttpd.conf" | grep -A3 '"/api/v1/"' | tee /dev/stderr |
			grep -q '"socket" *=> *"/run/overwatch/overwatch.sock"'
	}
	step "4. lighty-enable-mod fastcgi overwatch" lighttpd_enable
	if step "lighttpd: the system configuration on 127.0.0.1:$LPORT passes lighttpd -tt" lighttpd_config &&
		step "lighttpd: 50-overwatch.conf connects to /run/overwatch/overwatch.sock" lighttpd_socket &&
		step "lighttpd: start" lighttpd_start; then
		api_flow "lighttpd + overwatch.service" "http://127.0.0.1:$LPORT/api/v1"
		step "lighttpd: every process of the package runs as overwatch" fcgi_workers_as overwatch
		step "lighttpd: stop" lighttpd_stop
	fi
	step "after both web servers: still only overwatch reads the secrets" secrets_private
	step "the master stops on SIGTERM with status 0" master_stop
fi
# 5. Housekeeping: what overwatch-purge.service runs, as its user.
step "5. overwatch-purge.service's ExecStart as root (reads db-admin.password)" purge_job

# ---------------------------------------------------------------- 3. remove, purge
phase "3. remove and purge the package"
# The web servers are stopped: the instances started here are not the system
# services the maintainer scripts reload.
lighttpd_stop >/dev/null 2>&1
apache_stop >/dev/null 2>&1
master_stop >/dev/null 2>&1
after_remove() {
	local bad_=0 f
	for f in /usr/sbin/overwatch-fcgi /usr/sbin/overwatch-admin /usr/share/overwatch \
		/lib/systemd/system/overwatch.service; do
		[[ ! -e $f ]] || {
			echo "$f left after remove"
			bad_=1
		}
	done
	# Configuration stays until purge; the web servers no longer use it.
	[[ -f /etc/overwatch/overwatch.conf && -f /etc/overwatch/jwt.secret ]] || {
		echo "configuration gone before purge"
		bad_=1
	}
	for f in /etc/apache2/conf-enabled/overwatch.conf /etc/apache2/conf-enabled/overwatch-proxy.conf \
		/etc/lighttpd/conf-enabled/50-overwatch.conf; do
		if [[ -e $f || -L $f ]]; then
			echo "$f still enabled after remove"
			bad_=1
		fi
	done
	getent passwd overwatch >/dev/null || {
		echo "user removed before purge"
		bad_=1
	}
	((bad_ == 0))
}
after_purge() {
	local bad_=0 f
	if dpkg-query -W -f='${db:Status-Abbrev}' "$PKG" 2>/dev/null | grep -q '^[ir]'; then
		echo "dpkg still knows $PKG: $(dpkg-query -W -f='${Status}' "$PKG")"
		bad_=1
	fi
	for f in /etc/overwatch /etc/apache2/conf-available/overwatch.conf \
		/etc/apache2/conf-available/overwatch-authorizer.conf /etc/apache2/conf-available/overwatch-proxy.conf \
		/etc/apache2/conf-enabled/overwatch.conf /etc/apache2/conf-enabled/overwatch-authorizer.conf \
		/etc/apache2/conf-enabled/overwatch-proxy.conf /var/lib/apache2/conf/enabled_by_admin/overwatch-proxy \
		/etc/lighttpd/conf-available/50-overwatch.conf /etc/lighttpd/conf-available/60-overwatch-authorizer.conf \
		/etc/lighttpd/conf-enabled/50-overwatch.conf /etc/lighttpd/conf-enabled/60-overwatch-authorizer.conf \
		/var/lib/apache2/conf/enabled_by_admin/overwatch /var/lib/apache2/conf/disabled_by_admin/overwatch; do
		if [[ -e $f || -L $f ]]; then
			echo "$f left after purge"
			bad_=1
		fi
	done
	if getent passwd overwatch || getent group overwatch; then
		echo "user or group overwatch left after purge"
		bad_=1
	fi
	if id -nG www-data | tr ' ' '\n' | grep -qx overwatch; then
		echo "www-data still in group overwatch"
		bad_=1
	fi
	((bad_ == 0))
}
apache_system_config_ok() { apache2ctl -t; }
lighttpd_system_config_ok() { lighttpd -tt -f /etc/lighttpd/lighttpd.conf; }
step "apt-get remove -y $PKG" "${APT[@]}" remove "$PKG"
step "after remove: programs gone, configuration kept, Apache and lighttpd links gone, user kept" after_remove
step "apt-get purge -y $PKG" "${APT[@]}" purge "$PKG" && mark_del package
step "after purge: /etc/overwatch, conf-available files, user and group gone" after_purge
step "the system Apache configuration is still valid (apache2ctl -t)" apache_system_config_ok
step "the system lighttpd configuration is still valid (lighttpd -tt)" lighttpd_system_config_ok

teardown
# finish (the EXIT trap) prints the totals.
((failed == 0))

#!/usr/bin/env bash
# tests/hosting/run.sh -- shared hosting under suexec and mod_fcgid, as
# doc/shared-hosting.md describes it, on this machine:
#
#   - two customers, each a real Unix user made by this test with a home
#     under suexec's document root (/var/www, apache2-suexec-custom's
#     default), each instance set up by one "overwatch-admin setup-instance"
#     (database, MariaDB user, secret, configuration, first admin) whose
#     printed vhost lines are what the test's Apache serves;
#   - one Apache (run as root, so suexec is enabled; workers www-data) with
#     both vhosts: both instances serve logins; a token issued by one is
#     refused by the other;
#   - each instance's processes run as its customer (uid, gid, groups read
#     from /proc/PID/status), and with exactly those credentials the other
#     customer's jwt.secret, mfa.secret, pepper and db.password cannot be opened
#     (while one's own can: the check can fail); modes and owners of every
#     file; the two-factor key is set (GET /mfa-policy answers);
#   - idle processes are reaped (FcgidIdleTimeout) and come back on the next
#     request;
#   - density: an idle instance's memory, one instance's processes and
#     MariaDB connections under concurrent load, and none once reaped
#     (printed as "measure" lines; doc/shared-hosting.md quotes them).
#
# MariaDB is a private server under the work directory (unix_socket root),
# not the system one. The build tree's programs are used (run ow_build first).
# Users, homes, the server and Apache are removed at the end, also after a
# failure; an interrupted run is cleaned up by the next one
# (/var/tmp/overwatch-hosting-test.state).
#
# It creates Unix users and installs apache2-suexec-custom, so it runs only
# with OVERWATCH_TEST_HOSTING=1 or OVERWATCH_TEST_PACKAGE=1, as root
# (Debian 12); otherwise it prints a skip line and "0 passed, 0 failed".
#
#   OVERWATCH_TEST_HOSTING=1 tests/hosting/run.sh [--keep]
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../../tools/lib.sh disable=SC1091
. "$REPO/tools/lib.sh"

if [[ ${OVERWATCH_TEST_HOSTING:-} != 1 && ${OVERWATCH_TEST_PACKAGE:-} != 1 ]]; then
	echo "skip  shared hosting test: it creates Unix users and installs apache2-suexec-custom;" \
		"set OVERWATCH_TEST_HOSTING=1 to run it"
	echo "0 passed, 0 failed"
	exit 0
fi
keep=0
[[ ${1:-} == --keep ]] && keep=1

STATE_FILE=/var/tmp/overwatch-hosting-test.state
LOCK_FILE=/run/lock/overwatch-hosting-test.lock
HOMES=/var/www/overwatch-hosting-test
CUSTOMERS=(owhosta owhostb)
IDLE_TIMEOUT=6
PYTHON=/usr/bin/python3
passed=0 failed=0 nstep=0
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
# Measurements are printed at the end (steps keep their output in logs).
measure() { printf 'measure  %s\n' "$*" >>"$W/measures"; }
step() { # step LABEL COMMAND...: ok, or FAIL with the tail of its output
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
	return "$rc"
}

# ---------------------------------------------------------------- clean-up

# Processes of a user this test made (by uid: the user is ours).
user_pids() { ps -u "$1" -o pid= 2>/dev/null | tr -s ' \n' ' '; }
remove_customer() {
	local u=$1 pids
	if getent passwd "$u" >/dev/null; then
		pids=$(user_pids "$u")
		# shellcheck disable=SC2086
		[[ -z ${pids// /} ]] || kill -KILL $pids 2>/dev/null
		userdel "$u" || return 1
	fi
	getent group "$u" >/dev/null && groupdel "$u"
	rm -rf "${HOMES:?}/$u"
}
cleanup() {
	local old u
	[[ -f $STATE_FILE ]] || return 0
	while read -r old; do
		case $old in
		workdir\ /tmp/overwatch-hosting.*)
			old=${old#workdir }
			ow_stop_pidfile "$old/apache/apache2.pid" "$old/apache/apache2.conf" 30 || true
			ow_stop_pidfile "$old/mariadb/mariadb.pid" "$old/mariadb/data" 60 || true
			ow_stop_matching "$old/" || true
			if ! ((keep || failed)) || [[ $old != "$W" ]]; then rm -rf "$old"; fi
			;;
		user\ *) remove_customer "${old#user }" ;;
		esac
	done <"$STATE_FILE"
	rmdir "$HOMES" 2>/dev/null
	rm -f "$STATE_FILE"
}
finish() {
	local t
	t=$(ow_now)
	[[ -n $W && -f $W/measures ]] && cat "$W/measures"
	cleanup
	local u left=0
	for u in "${CUSTOMERS[@]}"; do
		getent passwd "$u" >/dev/null && left=1
	done
	if ((left == 0)) && [[ ! -e $HOMES ]]; then
		ok "clean-up: users, homes, Apache and MariaDB gone ($(ow_elapsed "$t")s)"
	else
		bad "clean-up: something is left (users ${CUSTOMERS[*]}, $HOMES)"
	fi
	((keep || failed)) && [[ -n $W ]] && note "work directory kept: $W"
	printf '== total %ss\n' "$(ow_elapsed "$t_start")"
	echo "$passed passed, $failed failed"
}

# ---------------------------------------------------------------- preflight

if ((EUID != 0)); then
	bad "must run as root (it creates users; suexec needs Apache started as root)"
	echo "$passed passed, $failed failed"
	exit 1
fi
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
	bad "another tests/hosting/run.sh is running (lock $LOCK_FILE)"
	echo "$passed passed, $failed failed"
	exit 1
fi
for u in "${CUSTOMERS[@]}"; do
	if getent passwd "$u" >/dev/null && ! grep -qx "user $u" "$STATE_FILE" 2>/dev/null; then
		bad "a user $u exists that this test did not create: not touching it"
		echo "$passed passed, $failed failed"
		exit 1
	fi
done
cleanup # what an interrupted run left
W=$(mktemp -d /tmp/overwatch-hosting.XXXXXX)
# The customers' processes reach the MariaDB socket and the programs here.
chmod 0755 "$W"
mkdir -p "$W/steps" "$W/http" "$W/bin"
echo "workdir $W" >>"$STATE_FILE"
trap finish EXIT
trap 'exit 1' INT TERM HUP

step "packages: apache2, apache2-suexec-custom, libapache2-mod-fcgid, mariadb-server" \
	ow_install_packages apache2 apache2-suexec-custom libapache2-mod-fcgid mariadb-server \
	mariadb-client curl procps util-linux python3 || exit 1
step "programs built (overwatch-fcgi, overwatch-admin; run ow_build first)" \
	test -x "$REPO/overwatch-fcgi" -a -x "$REPO/overwatch-admin" || exit 1
# The programs where every customer may run them (the checkout may not be).
install -m 0755 "$REPO/overwatch-fcgi" "$REPO/overwatch-admin" "$W/bin/"
suexec_docroot() { # apache2-suexec-custom's document root: the first line of its file
	local root
	root=$(head -n 1 /etc/apache2/suexec/www-data)
	echo "suexec document root: $root"
	[[ $root == /var/www ]]
}
step "suexec-custom's document root is /var/www (homes go under it)" suexec_docroot || exit 1

# ---------------------------------------------------------------- MariaDB
DB=$W/mariadb
mariadb_start() {
	mkdir -p "$DB/tmp"
	mariadb-install-db --no-defaults --datadir="$DB/data" --user=root \
		--auth-root-authentication-method=socket >"$DB/install.log" 2>&1 || {
		cat "$DB/install.log"
		return 1
	}
	setsid mariadbd --no-defaults --datadir="$DB/data" --socket="$DB/mysqld.sock" \
		--pid-file="$DB/mariadb.pid" --log-error="$DB/error.log" --tmpdir="$DB/tmp" \
		--skip-networking --user=root --innodb-buffer-pool-size=32M --max-connections=200 \
		</dev/null >/dev/null 2>&1 &
	ow_wait_for 60 mariadb-admin --socket="$DB/mysqld.sock" ping
}
chmod 0755 "$W"
step "private MariaDB (socket $W/mariadb/mysqld.sock)" mariadb_start || exit 1
sql() { mariadb --socket="$DB/mysqld.sock" --batch --skip-column-names -e "$1"; }
export OVERWATCH_DATABASE_SOCKET=$DB/mysqld.sock

# ---------------------------------------------------------------- customers
declare -A UID_OF PW_OF
customer_add() {
	local u=$1
	mkdir -p "$HOMES"
	echo "user $u" >>"$STATE_FILE"
	useradd --create-home --home-dir "$HOMES/$u" --shell /usr/sbin/nologin --user-group "$u" || return 1
	# doc/shared-hosting.md: others (www-data, the other customers) may pass
	# through a home, not list or read it.
	chmod 0711 "$HOMES/$u"
	UID_OF[$u]=$(id -u "$u")
}
setup_instance() {
	local u=$1
	printf '%s\n' "${PW_OF[$u]}" | "$W/bin/overwatch-admin" setup-instance --user "$u" \
		--org "Customer $u" --email "admin@$u.test" --server-name "$u.test" \
		--program "$W/bin/overwatch-fcgi" --migrations "$REPO/sql" >"$W/$u.setup" || {
		cat "$W/$u.setup"
		return 1
	}
	cat "$W/$u.setup"
	# The printed vhost, as the operator pastes it (the test's port).
	sed -n '/^# Apache/,/^<\/VirtualHost>/p' "$W/$u.setup" |
		sed "s/^<VirtualHost \*:80>/<VirtualHost 127.0.0.1:$PORT>/" >"$W/apache/vhosts/$u.conf"
	grep -q "SuexecUserGroup $u $u" "$W/apache/vhosts/$u.conf"
}
modes_ok() { # the documented modes and owners of one customer's files
	local u=$1 h=$HOMES/$1 f want got bad_=0
	for f in "$h:711" "$h/overwatch:700" "$h/overwatch/overwatch.conf:600" \
		"$h/overwatch/jwt.secret:600" "$h/overwatch/mfa.secret:600" "$h/overwatch/pepper:600" \
		"$h/overwatch/db.password:600" \
		"$h/fcgi-bin:755" \
		"$h/fcgi-bin/overwatch.fcgi:755"; do
		want="$u:$u ${f##*:}"
		got=$(stat -c '%U:%G %a' "${f%:*}")
		echo "${f%:*}: $got"
		[[ $got == "$want" ]] || {
			echo "  expected $want"
			bad_=1
		}
	done
	! grep -q -i -e secret -e password "$h/fcgi-bin/overwatch.fcgi" ||
		grep -q 'No secret here' "$h/fcgi-bin/overwatch.fcgi" || bad_=1
	((bad_ == 0))
}
# examples_match CUSTOMER: what setup-instance printed and wrote is
# etc/shared-hosting/vhost.conf and overwatch.fcgi with the customer's names,
# so the examples in the repository stay what the command makes.
examples_match() {
	local u=$1 subst
	subst="s|/var/www/customers/alice|$HOMES/$u|g; s|/usr/sbin/overwatch-fcgi|$W/bin/overwatch-fcgi|g;"
	subst+=" s|auth.alice.example|$u.test|g; s|alice|$u|g"
	diff <(sed -n '/^# Apache/,$p' "$REPO/etc/shared-hosting/vhost.conf" | sed "$subst") \
		<(sed -n '/^# Apache/,/^<\/VirtualHost>/p' "$W/$u.setup") &&
		diff <(sed "$subst" "$REPO/etc/shared-hosting/overwatch.fcgi") "$HOMES/$u/fcgi-bin/overwatch.fcgi"
}
database_ok() { # its own database and MariaDB user, granted that database only
	local u=$1
	sql "SHOW GRANTS FOR '$u'@'localhost'" | tee /dev/stderr | grep -q "ON \`overwatch_$u\`.\*" &&
		[[ $(sql "SELECT COUNT(*) FROM overwatch_$u.users") == 1 ]]
}

mkdir -p "$W/apache/vhosts" "$W/apache/fcgid" "$W/apache/run"
# mod_fcgid's process manager (www-data) makes its sockets there.
chown www-data:www-data "$W/apache/fcgid"
PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
for u in "${CUSTOMERS[@]}"; do
	PW_OF[$u]=$(ow_random_password)
	step "$u: a Unix user with home $HOMES/$u (0711)" customer_add "$u" || exit 1
	step "$u: overwatch-admin setup-instance (one command) prints the vhost lines" setup_instance "$u" || exit 1
	step "$u: modes and owners (config, secrets, db.password 0600 in a 0700 directory)" modes_ok "$u"
	step "$u: its own database and MariaDB user, first admin made" database_ok "$u"
	step "$u: the vhost lines and wrapper are etc/shared-hosting/'s examples with its names" examples_match "$u"
done

# ---------------------------------------------------------------- Apache
apache_config() {
	local m=/usr/lib/apache2/modules
	cat >"$W/apache/apache2.conf" <<EOF
ServerRoot /etc/apache2
ServerName localhost
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule alias_module $m/mod_alias.so
LoadModule suexec_module $m/mod_suexec.so
LoadModule fcgid_module $m/mod_fcgid.so
User www-data
Group www-data
Listen 127.0.0.1:$PORT
PidFile $W/apache/apache2.pid
DefaultRuntimeDir $W/apache/run
ErrorLog $W/apache/error.log
LogLevel warn fcgid:info
FcgidIPCDir $W/apache/fcgid
FcgidProcessTableFile $W/apache/fcgid.shm
# Short, so the test sees reaping within seconds (doc/shared-hosting.md: 300).
FcgidIdleTimeout $IDLE_TIMEOUT
FcgidIdleScanInterval 1
FcgidZombieScanInterval 1
# As Debian's apache2.conf: the translated PATH_INFO (PATH_TRANSLATED, a
# sub-request under the default document root) is not refused with an error.
<Directory />
    Require all denied
</Directory>
<Directory /var/www/>
    Require all granted
</Directory>
IncludeOptional $W/apache/vhosts/*.conf
EOF
	apache2 -f "$W/apache/apache2.conf" -t
}
apache_start() {
	apache2 -f "$W/apache/apache2.conf" -k start &&
		ow_wait_for 20 test -s "$W/apache/apache2.pid" &&
		ow_wait_for 20 grep -q 'suEXEC mechanism enabled' "$W/apache/error.log" &&
		grep 'suEXEC' "$W/apache/error.log"
}
step "Apache: both printed vhosts on 127.0.0.1:$PORT pass apache2 -t" apache_config || exit 1
step "Apache: started as root, suEXEC mechanism enabled" apache_start || exit 1

# ---------------------------------------------------------------- requests
CODE=000
http() { # http NAME HOST METHOD PATH [CURL-ARGS...]: body in $W/http/NAME, status in CODE
	local name=$1 host=$2 method=$3 path=$4
	shift 4
	CODE=$(curl -s -m 30 -o "$W/http/$name" -w '%{http_code}' -X "$method" -H "Host: $host" "$@" \
		"http://127.0.0.1:$PORT/api/v1$path") || CODE=000
	echo "$method $host$path -> $CODE $(head -c 300 "$W/http/$name" 2>/dev/null)"
}
jfield() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
declare -A TOKEN_OF
login() {
	local u=$1
	http "$u-login" "$u.test" POST /auth/login -H 'Content-Type: application/json' \
		-d "{\"email\": \"admin@$u.test\", \"password\": \"${PW_OF[$u]}\"}"
	[[ $CODE == 200 ]] && TOKEN_OF[$u]=$(jfield "$W/http/$u-login" access_token)
}
me() { # me CUSTOMER TOKEN-OWNER EXPECTED-CODE
	http "$1-me-$2" "$1.test" GET /auth/me -H "Authorization: Bearer ${TOKEN_OF[$2]}"
	[[ $CODE == "$3" ]]
}
A=${CUSTOMERS[0]} B=${CUSTOMERS[1]}
for u in "$A" "$B"; do
	step "$u: POST /api/v1/auth/login on $u.test (through suexec and mod_fcgid)" login "$u"
	step "$u: GET /api/v1/auth/me with its own token: 200" me "$u" "$u" 200
done
# setup-instance wrote [mfa] secret_file: the policy answers (409 without it,
# doc/api.md section 6 "Two-factor sign-in").
mfa_offered() {
	http "$1-mfa" "$1.test" GET /mfa-policy -H "Authorization: Bearer ${TOKEN_OF[$1]}"
	[[ $CODE == 200 && $(jfield "$W/http/$1-mfa" require) == none ]]
}
for u in "$A" "$B"; do
	step "$u: GET /api/v1/mfa-policy: 200 {require: none} (two-factor sign-in offered)" mfa_offered "$u"
done
step "$A's token on $B.test: 401 (each instance has its own secret)" me "$B" "$A" 401
step "$B's token on $A.test: 401" me "$A" "$B" 401

# ---------------------------------------------------------------- isolation
fcgi_pids() { # the instance processes of customer $1
	local p
	for p in $(pgrep -u "$1" -x overwatch-fcgi); do printf '%s ' "$p"; done
}
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
credentials_ok() { # every process of the customer runs as it: uid, gid, groups
	local u=$1 p n=0 uids gids groups
	# Awake (mod_fcgid reaps idle processes); one that goes while read is skipped.
	http "$u-wake" "$u.test" GET /health
	for p in $(fcgi_pids "$u"); do
		uids=$(status_field "$p" Uid 2>/dev/null) gids=$(status_field "$p" Gid 2>/dev/null)
		groups=$(status_field "$p" Groups 2>/dev/null)
		[[ -d /proc/$p && -n $uids ]] || continue
		echo "pid $p: Uid $uids; Gid $gids; Groups $groups; $(tr '\0' ' ' <"/proc/$p/cmdline")"
		# Real, effective, saved and file-system ids: all the customer's.
		[[ $(tr -s ' \t' ' ' <<<"$uids") == "${UID_OF[$u]} ${UID_OF[$u]} ${UID_OF[$u]} ${UID_OF[$u]}" ]] || return 1
		[[ $(awk '{print $1}' <<<"$gids") == "$(id -g "$u")" ]] || return 1
		# No group of the web server's or of another customer's.
		for g in $groups; do [[ $g == "$(id -g "$u")" ]] || return 1; done
		n=$((n + 1))
	done
	((n > 0))
}
# creds_of CUSTOMER: the real uid, gid and supplementary groups of one live
# process of the customer's instance, read once into CRED. mod_fcgid reaps
# idle processes (FcgidIdleTimeout 6): a request wakes the instance first, and
# a process that went away while it was read is not used (CI saw a pid vanish
# between two reads of its status).
declare -A CRED
creds_of() {
	local u=$1 p try
	for try in 1 2 3 4 5; do
		http "$u-wake-$try" "$u.test" GET /health
		for p in $(fcgi_pids "$u"); do
			CRED[uid]=$(status_field "$p" Uid 2>/dev/null | awk '{print $2}')
			CRED[gid]=$(status_field "$p" Gid 2>/dev/null | awk '{print $2}')
			CRED[groups]=$(status_field "$p" Groups 2>/dev/null | tr -s ' ' ',' | sed 's/,$//')
			CRED[pid]=$p
			# Still there after the three reads: each of them read this process.
			[[ -n ${CRED[uid]} && -n ${CRED[gid]} && -d /proc/$p ]] && return 0
		done
	done
	echo "no live process of $u to take credentials from"
	return 1
}
# as_creds COMMAND...: COMMAND with exactly the credentials creds_of read.
as_creds() {
	local -a g=(--clear-groups)
	[[ -z ${CRED[groups]} ]] || g=(--groups="${CRED[groups]}")
	setpriv --reuid="${CRED[uid]}" --regid="${CRED[gid]}" "${g[@]}" -- "$@"
}
cannot_read_other() { # cannot_read_other A B: A's process cannot open B's secrets, can its own
	local a=$1 b=$2 f out rc=0
	creds_of "$a" || return 1
	for f in "$HOMES/$a/overwatch/jwt.secret" "$HOMES/$a/overwatch/mfa.secret" "$HOMES/$a/overwatch/pepper" \
		"$HOMES/$a/overwatch/db.password"; do
		as_creds head -c 0 "$f" || {
			echo "$a's process cannot read its own $f"
			return 1
		}
	done
	for f in "$HOMES/$b/overwatch/jwt.secret" "$HOMES/$b/overwatch/mfa.secret" "$HOMES/$b/overwatch/pepper" \
		"$HOMES/$b/overwatch/db.password" "$HOMES/$b/overwatch/overwatch.conf"; do
		ow_read_refused "$f" as_creds head -c 1 || rc=1
	done
	# Listing B's home is refused too (0711): no name to guess from.
	out=$(as_creds ls "$HOMES/$b" 2>&1) && rc=1
	echo "as pid ${CRED[pid]}'s credentials (uid ${CRED[uid]}, gid ${CRED[gid]}): $out"
	return "$rc"
}
for u in "$A" "$B"; do
	step "$u: its processes run as $u (uid, gid, groups in /proc/PID/status)" credentials_ok "$u"
done
step "$A's process credentials cannot open $B's jwt.secret, mfa.secret, pepper, db.password, overwatch.conf (its own: yes)" \
	cannot_read_other "$A" "$B"
step "$B's process credentials cannot open $A's secrets" cannot_read_other "$B" "$A"

# ---------------------------------------------------------------- density
connections() { sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='$1'"; }
idle_memory() { # RSS and PSS of each process of customer $1, in KiB, just after a request
	local p rss pss total=0 rss_total=0 n=0
	me "$1" "$1" 200 || return 1
	for p in $(fcgi_pids "$1"); do
		rss=$(status_field "$p" VmRSS | awk '{print $1}')
		pss=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
		echo "pid $p: RSS $rss KiB, PSS $pss KiB"
		total=$((total + pss))
		rss_total=$((rss_total + rss))
		n=$((n + 1))
	done
	((n > 0)) && measure "$1 idle (after logins): $n process(es), RSS $rss_total KiB, PSS $total KiB in all, $(connections "$1") MariaDB connection(s)"
}
step "measure an idle process of $A (memory, connections)" idle_memory "$A"
load() { # load CUSTOMER SECONDS CONCURRENCY: GET /auth/me in parallel; peak processes and connections
	local u=$1 secs=$2 conc=$3 peak_p=0 peak_c=0 n c end
	"$PYTHON" - "$PORT" "$u.test" "${TOKEN_OF[$u]}" "$secs" "$conc" >"$W/load-$u.txt" <<'EOF' &
import http.client, sys, threading, time
port, host, token, secs, conc = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
end = time.monotonic() + secs
codes = {}
lock = threading.Lock()
def run():
    while time.monotonic() < end:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            c.request("GET", "/api/v1/auth/me", headers={"Host": host, "Authorization": "Bearer " + token})
            s = c.getresponse().status
        except Exception as e:
            s = type(e).__name__
        finally:
            c.close()
        with lock:
            codes[s] = codes.get(s, 0) + 1
ts = [threading.Thread(target=run) for _ in range(conc)]
[t.start() for t in ts]
[t.join() for t in ts]
print(" ".join("%s:%d" % kv for kv in sorted(codes.items(), key=str)))
EOF
	local lp=$!
	end=$((SECONDS + secs))
	while ((SECONDS < end)); do
		n=$(fcgi_pids "$u" | wc -w)
		c=$(connections "$u")
		((n > peak_p)) && peak_p=$n
		((c > peak_c)) && peak_c=$c
		sleep 0.5
	done
	wait "$lp"
	echo "answers: $(cat "$W/load-$u.txt")"
	measure "$u under $conc concurrent clients for ${secs}s: peak $peak_p processes, peak $peak_c MariaDB connections; answers $(cat "$W/load-$u.txt")"
	# Every answer a 200: no 5xx, no error while processes are spawned.
	[[ $(cat "$W/load-$u.txt") =~ ^200:[0-9]+$ ]]
}
step "load: 16 concurrent clients on $A.test for 8 s, every answer 200" load "$A" 8 16

# ---------------------------------------------------------------- reaping
gone() { [[ -z $(fcgi_pids "$A") && -z $(fcgi_pids "$B") ]]; }
reaped() {
	local t0=$SECONDS
	echo "before: $A $(fcgi_pids "$A"); $B $(fcgi_pids "$B")"
	# FcgidIdleTimeout, the scan interval and mod_fcgid's kill sequence: bounded generously.
	ow_wait_for $((IDLE_TIMEOUT * 10 + 30)) gone || return 1
	measure "idle instances reaped after ~$((SECONDS - t0))s (FcgidIdleTimeout $IDLE_TIMEOUT): 0 processes," \
		"$A $(connections "$A") and $B $(connections "$B") MariaDB connections"
	[[ $(connections "$A") == 0 && $(connections "$B") == 0 ]]
}
step "idle: every process of both instances reaped (FcgidIdleTimeout $IDLE_TIMEOUT), no MariaDB connection left" reaped
back() {
	me "$A" "$A" 200 || return 1
	local p
	p=$(fcgi_pids "$A")
	echo "after the request: $p"
	[[ -n $p ]]
}
step "the next request on $A.test spawns it again: 200 with the token issued before" back

as_customer_admin() { # the housekeeping doc/shared-hosting.md puts in the customer's crontab
	local u=$1
	runuser -u "$u" -- "$W/bin/overwatch-admin" --config "$HOMES/$u/overwatch/overwatch.conf" purge &&
		runuser -u "$u" -- "$W/bin/overwatch-admin" --config "$HOMES/$u/overwatch/overwatch.conf" \
			migrate --dir "$REPO/sql" | tee /dev/stderr | grep -q 'schema already up to date'
}
step "$A: purge and migrate run as $A with its own configuration" as_customer_admin "$A"

if [[ -s $W/apache/error.log ]]; then
	grep -iE 'error|emerg|crit' "$W/apache/error.log" | head -n 5 | sed 's/^/      apache: /'
fi
stop_apache() {
	local pid
	pid=$(cat "$W/apache/apache2.pid") || return 1
	apache2 -f "$W/apache/apache2.conf" -k stop
	ow_wait_for 30 bash -c "! kill -0 $pid 2>/dev/null"
}
step "Apache: stop" stop_apache
step "no process of either customer is left after Apache stops" bash -c \
	"sleep 1; [[ -z \$(pgrep -u $A) && -z \$(pgrep -u $B) ]]"

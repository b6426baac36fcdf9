#!/bin/sh
# alice's Overwatch Auth, started by mod_fcgid through suexec as alice
# (overwatch-admin setup-instance, doc/shared-hosting.md). No secret here:
# they are in /var/www/customers/alice/overwatch, which only alice can read.
umask 077
exec /usr/sbin/overwatch-fcgi --config /var/www/customers/alice/overwatch/overwatch.conf

/* audit_syslog.c -- every audit event also as one syslog line, for a copy off the database. */
#include "audit_syslog.h"

#include <errno.h>
#include <json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* The tag of the lines: a syslog rule can send them apart from the service's log. */
#define AUDIT_SYSLOG_TAG "overwatch-audit"
/* The longest event: a User-Agent of 512 control characters, each escaped to 6 bytes. */
#define AUDIT_SYSLOG_LINE 8192

static int sock = -1;
static int facility;
static bool warned;
static struct sockaddr_un addr;

/*
 * Our own sender rather than syslog(3): its socket is fixed at /dev/log and
 * its facility shared with the service's log ([service] log = syslog),
 * while this copy has its own facility and socket (a chroot's, a test's).
 */
int
audit_syslog_open(const struct config *cfg, char err[CONFIG_ERR_LEN])
{
	if (sock >= 0)
		close(sock);
	sock = -1;
	if (!cfg->audit_syslog)
		return 0;
	const char *path = cfg->audit_syslog_socket;
	if (path[0] != '/' || strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, CONFIG_ERR_LEN, "[audit] syslog_socket: must be an absolute path under %zu bytes",
		    sizeof(addr.sun_path));
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, path, strlen(path) + 1);
	facility = config_syslog_facilities[cfg->audit_syslog_facility];
	warned = false;
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0) {
		snprintf(err, CONFIG_ERR_LEN, "[audit] syslog: no socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
put(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, value != NULL ? json_object_new_string(value) : NULL);
}

/* The event as JSON: the columns of audit_log but detail, which is free text. */
static struct json_object *
event_json(const char *id, const struct audit_event *ev, const char *target_id, const char *user_agent)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	put(o, "id", id);
	put(o, "organization_id", ev->org_id);
	put(o, "action", ev->action);
	put(o, "outcome", ev->outcome);
	put(o, "actor_type", ev->actor_type != NULL ? ev->actor_type : "anonymous");
	put(o, "actor_id", ev->actor_id);
	put(o, "target_type", ev->target_type);
	put(o, "target_id", target_id);
	put(o, "ip", ev->ip);
	put(o, "user_agent", user_agent);
	return o;
}

void
audit_syslog_send(const char *id, const struct audit_event *ev, const char *target_id,
    const char *user_agent)
{
	char line[AUDIT_SYSLOG_LINE], stamp[32];
	struct tm tm;
	time_t now = time(NULL);

	if (sock < 0)
		return;
	struct json_object *o = event_json(id, ev, target_id, user_agent);
	if (o == NULL)
		return;
	int pri = facility | (strcmp(ev->outcome, "success") == 0 ? LOG_INFO : LOG_NOTICE);
	/* RFC 3164, as syslog(3) writes it to /dev/log; JSON escapes every control byte. */
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime_r(&now, &tm));
	int n = snprintf(line, sizeof(line), "<%d>%s %s[%ld]: %s", pri, stamp, AUDIT_SYSLOG_TAG,
	    (long)getpid(), json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	if (sendto(sock, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&addr,
	    sizeof(addr)) < 0 && !warned) {
		warned = true;
		log_warning("[audit] syslog: cannot send to %s: %s (lines are dropped until it answers)",
		    addr.sun_path, strerror(errno));
	}
}

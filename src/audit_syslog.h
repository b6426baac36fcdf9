/* audit_syslog.h -- a copy of every audit event to syslog ([audit] syslog, overwatch.conf(5)). */
#ifndef OW_AUDIT_SYSLOG_H
#define OW_AUDIT_SYSLOG_H

#include "config.h"
#include "store.h"

/*
 * Set up the copy as cfg says, replacing an earlier set-up of this process:
 * off, or an unbound datagram socket aimed at [audit] syslog_socket. -1 with
 * a message in err when the path cannot be a socket address or no socket
 * can be made; a syslog daemon that is not there yet is not an error.
 */
int audit_syslog_open(const struct config *cfg, char err[CONFIG_ERR_LEN]);

/*
 * Send event ev, stored under id, as one syslog line (a JSON object),
 * target_id and user_agent as cleaned for the database. Never blocks: a
 * daemon that is absent or whose queue is full loses the line (logged once
 * per process). A no-op when the copy is off.
 */
void audit_syslog_send(const char *id, const struct audit_event *ev, const char *target_id,
    const char *user_agent);

#endif

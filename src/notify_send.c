/* notify_send.c -- one notification's delivery: SMTP to the operator's mail server, or a POST to the operator's webhook. */
#include "notify.h"

#include <string.h>

#include <curl/curl.h>

struct upload {
	const char *data;
	size_t left;
};

static size_t
upload_read(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t take = size * n < u->left ? size * n : u->left;

	memcpy(buf, u->data, take);
	u->data += take;
	u->left -= take;
	return take;
}

/* The answer of a webhook is not read: only its status counts. */
static size_t
discard(char *buf, size_t size, size_t n, void *arg)
{
	(void)buf;
	(void)arg;
	return size * n;
}

/* A handle bounded in time that never follows a redirect (the operator named the one place to go). */
static CURL *
handle(const struct config *cfg, const char *url)
{
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, cfg->notify_timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, cfg->notify_timeout);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	return h;
}

int
notify_send_mail(const struct config *cfg, const char *to, const char *message)
{
	CURL *h = handle(cfg, cfg->notify_smtp_url);
	struct curl_slist *rcpt = NULL, *added;
	struct upload u = {message, strlen(message)};
	CURLcode rc = CURLE_FAILED_INIT;

	if (h == NULL)
		return -1;
	if ((added = curl_slist_append(rcpt, to)) != NULL) {
		rcpt = added;
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(h, CURLOPT_MAIL_FROM, cfg->notify_mail_from);
		curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &u);
		rc = curl_easy_perform(h);
	}
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return rc == CURLE_OK ? 0 : -1;
}

int
notify_send_webhook(const struct config *cfg, const char *json)
{
	CURL *h = handle(cfg, cfg->notify_webhook_url);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	long code = 0;
	CURLcode rc = CURLE_FAILED_INIT;

	if (h != NULL && hdrs != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		if ((rc = curl_easy_perform(h)) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	}
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rc == CURLE_OK && code >= 200 && code < 300 ? 0 : -1;
}

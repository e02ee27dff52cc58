/*
 * remote.c - portctl's daemon path: one connection to portd's control
 * endpoint, a request line out, reply lines in. Plain blocking I/O: a
 * client that asks one question needs no event loop. Connecting and the
 * raw reads and writes are per OS (connect_unix.c, connect_win.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portctl.h"
#include "proto.h"
#include "strvis.h"

#define REPLY_MAX	(256 * 1024 * 1024)

int
remote_send(int fd, const struct request *req, char *err, size_t errlen)
{
	char *text;
	size_t len, off = 0;
	ssize_t n;

	if ((text = proto_request_text(req)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n';	/* replaces the NUL: sent by length */
	while (off < len) {
		n = remote_write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}

/* Reads one line into a growing buffer; NULL at EOF or error. */
char *
remote_read_line(int fd, struct remote_buf *rb, char *err, size_t errlen)
{
	char *nl, *line, *tmp;
	size_t len;
	ssize_t n;

	for (;;) {
		if (rb->len > 0 && (nl = memchr(rb->buf, '\n', rb->len)) !=
		    NULL) {
			len = (size_t)(nl - rb->buf);
			if ((line = malloc(len + 1)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			memcpy(line, rb->buf, len);
			line[len] = '\0';
			rb->len -= len + 1;
			memmove(rb->buf, nl + 1, rb->len);
			return line;
		}
		if (rb->cap - rb->len < 65536) {
			if (rb->cap >= REPLY_MAX) {
				snprintf(err, errlen, "reply too long");
				return NULL;
			}
			rb->cap = rb->cap ? rb->cap * 2 : 131072;
			if ((tmp = realloc(rb->buf, rb->cap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			rb->buf = tmp;
		}
		n = remote_read(fd, rb->buf + rb->len, rb->cap - rb->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "portd closed the connection%s%s",
			    n == 0 ? "" : ": ", n == 0 ? "" : strerror(errno));
			return NULL;
		}
		rb->len += (size_t)n;
	}
}

char *
remote_exchange(int fd, const struct request *req, struct remote_buf *rb,
    char *err, size_t errlen)
{
	char serr[256];
	char *line;
	int sent;

	/* A refused connection is closed at once, maybe before our request
	 * is sent (EPIPE); the refusal is still there to read. */
	sent = remote_send(fd, req, serr, sizeof(serr));
	if ((line = remote_read_line(fd, rb, err, errlen)) == NULL &&
	    sent == -1)
		snprintf(err, errlen, "%s", serr);
	return line;
}

void
remote_buf_free(struct remote_buf *rb)
{
	free(rb->buf);
	memset(rb, 0, sizeof(*rb));
}

/*
 * The message is printed on the terminal and may quote what was sent:
 * escaped, line by line, since a failed reload lists one error per line.
 */
static void
vis_message(char *err, size_t errlen, const char *msg)
{
	char *copy, *line, *nl;
	size_t o = 0;

	if ((copy = strdup(msg)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return;
	}
	err[0] = '\0';
	for (line = copy; o + 1 < errlen; line = nl + 1) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		strvis(err + o, errlen - o, line);
		o += strlen(err + o);
		if (nl == NULL || o + 2 >= errlen)
			break;
		err[o++] = '\n';
		err[o] = '\0';
	}
	free(copy);
}

cJSON *
remote_parse_reply(const char *line, char *err, size_t errlen, int *code)
{
	cJSON *root, *ok, *e, *result;
	const cJSON *v;

	*code = PE_NONE;
	if ((root = cJSON_Parse(line)) == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		snprintf(err, errlen, "portd sent a malformed reply");
		*code = PE_INTERNAL;
		return NULL;
	}
	ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
	if (!cJSON_IsTrue(ok)) {
		e = cJSON_GetObjectItemCaseSensitive(root, "error");
		v = cJSON_GetObjectItemCaseSensitive(e, "message");
		vis_message(err, errlen, cJSON_IsString(v) ? v->valuestring :
		    "portd refused the request");
		v = cJSON_GetObjectItemCaseSensitive(e, "code");
		*code = proto_error_parse(cJSON_IsString(v) ? v->valuestring :
		    NULL);
		/* Said the same way whatever portd's wording. */
		if (*code == PE_TOO_MANY_CLIENTS)
			snprintf(err, errlen, "%s", REMOTE_REFUSED);
		cJSON_Delete(root);
		return NULL;
	}
	result = cJSON_DetachItemFromObjectCaseSensitive(root, "result");
	cJSON_Delete(root);
	if (result == NULL) {
		snprintf(err, errlen, "portd sent a reply without a result");
		*code = PE_INTERNAL;
	}
	return result;
}

cJSON *
remote_call(int fd, const struct request *req, char *err, size_t errlen,
    int *code)
{
	struct remote_buf rb = { NULL, 0, 0 };
	cJSON *result;
	char *line;

	*code = PE_INTERNAL;
	if ((line = remote_exchange(fd, req, &rb, err, errlen)) == NULL) {
		remote_buf_free(&rb);
		return NULL;
	}
	result = remote_parse_reply(line, err, errlen, code);
	free(line);
	remote_buf_free(&rb);
	return result;
}

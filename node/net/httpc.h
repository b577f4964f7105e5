/* httpc.h -- the HTTP client: libcurl multi driven by our event loop.
 *
 * Requests run concurrently on reused keep-alive connections; the
 * callback runs on the loop thread when a request ends, with the HTTP
 * status (0 when no response came: refused, timed out, reset). */
#ifndef PAXOS_HTTPC_H
#define PAXOS_HTTPC_H

#include <stddef.h>

struct loop;
struct httpc;

/* status: HTTP status, or 0 on transport failure (err says why).
 * body is NUL-terminated and valid only during the call. */
typedef void (*httpc_done_fn)(void *ud, int status, const char *body,
                              size_t len, const char *err);

struct httpc *httpc_new(struct loop *l);
/* Ends every request still running: each callback runs once more, with
 * status 0 and err "shutting down"; requests they start are refused. */
void httpc_free(struct httpc *c);

/* Adds a header line ("Name: value") to every request from now on (a
 * token, for example). Returns 0 or -1. */
int httpc_add_header(struct httpc *c, const char *line);

/* Starts a request. body may be NULL (then a GET unless method says
 * otherwise); it is copied. headers: NULL or a NULL-terminated list of
 * "Name: value" lines. Returns 0, or -1 when the request could not be
 * started (the callback is then never called). */
int httpc_request(struct httpc *c, const char *method, const char *url,
                  const char *body, size_t len, const char *const *headers,
                  long timeout_ms, httpc_done_fn fn, void *ud);

/* Requests started and not yet ended. */
size_t httpc_in_flight(const struct httpc *c);

#endif

/* fetch.h -- paxos-top's HTTP client: plain HTTP/1.1 on the event loop.
 *
 * paxos-top only ever speaks plain HTTP to the nodes (local addresses, a
 * NodePort, a port-forward), so it does without libcurl, whose TLS
 * libraries alone would be most of its memory. One connection per request
 * ("Connection: close"); requests run concurrently; the callback runs on
 * the loop thread when a request ends, never from inside fetch_request. */
#ifndef PAXOS_TOP_FETCH_H
#define PAXOS_TOP_FETCH_H

#include <stddef.h>

struct loop;
struct fetch;

/* status: the HTTP status, or 0 when no response came (err says why; err
 * is NULL otherwise). body is NUL-terminated and valid only during the
 * call. */
typedef void (*fetch_done_fn)(void *ud, int status, const char *body,
                              size_t len, const char *err);

struct fetch *fetch_new(struct loop *l);
/* Ends every request still running: each callback runs once more, with
 * status 0 and err "shutting down"; requests they start are refused. */
void fetch_free(struct fetch *f);

/* Adds a header line ("Name: value") to every request from now on (a
 * token, for example). Returns 0 or -1. */
int fetch_add_header(struct fetch *f, const char *line);

/* Starts METHOD url ("http://host:port/path"), with body (copied; NULL:
 * none) sent as JSON. Gives up after timeout_ms. Returns 0, or -1 when
 * the request could not be started (the callback is then never called). */
int fetch_request(struct fetch *f, const char *method, const char *url,
                  const char *body, size_t len, long timeout_ms,
                  fetch_done_fn fn, void *ud);

/* The answer in buf[0..len) (status line, headers, body), as a response
 * to a request that ended with the connection: *status and the body's
 * start and length (a chunked body is decoded in place). Returns 0, or -1
 * with *err set when it is not a whole HTTP/1.x response. */
int fetch_parse_response(char *buf, size_t len, int *status, char **body,
                         size_t *body_len, const char **err);

#endif

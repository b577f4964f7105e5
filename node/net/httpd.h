/* httpd.h -- the HTTP server: libmicrohttpd driven by our event loop.
 *
 * Routes are (method, path, handler). A handler either replies at once
 * with httpd_reply(), or returns without replying: the request is then
 * suspended until some later event calls httpd_reply() on it. Bodies are
 * collected up to a size limit; errors come back as {"error": "..."}:
 * 404 unknown path, 405 wrong method, 413 body too large. */
#ifndef PAXOS_HTTPD_H
#define PAXOS_HTTPD_H

#include <stddef.h>

struct loop;
struct httpd;
struct http_request;

typedef void (*httpd_handler)(struct http_request *req, void *ud);

struct httpd_route {
    const char *method;     /* "GET", "POST" */
    const char *path;       /* exact path, e.g. "/accept" */
    httpd_handler fn;
    void *ud;
};

struct httpd_limits {
    size_t max_body;            /* bytes of one request body */
    unsigned max_connections;   /* at once */
    unsigned timeout_s;         /* an idle connection is closed after it,
                                   and so is one whose request has not
                                   arrived whole within it (slow drip) */
};

/* Starts listening on bind_addr:port (bind_addr NULL = all addresses).
 * Returns NULL with a log line when the port cannot be opened. */
struct httpd *httpd_start(struct loop *l, const char *bind_addr,
                          unsigned port, const struct httpd_limits *limits);
void httpd_stop(struct httpd *h);

/* Told of every request once it is answered: the route it matched (its
 * path as registered; NULL for an unknown path), the status sent, and
 * how long it took from its first byte to its completion. */
typedef void (*httpd_done_fn)(void *ud, const char *route, unsigned status,
                              double seconds);
void httpd_on_done(struct httpd *h, httpd_done_fn fn, void *ud);

/* Adds a route; the table is searched in order. Returns 0 or -1. */
int httpd_route(struct httpd *h, const char *method, const char *path,
                httpd_handler fn, void *ud);

const char *httpd_method(const struct http_request *req);
const char *httpd_path(const struct http_request *req);
const char *httpd_body(const struct http_request *req);    /* NUL-terminated */
size_t httpd_body_len(const struct http_request *req);
/* Query-string argument or request header, NULL when absent. A query
 * value with a NUL byte inside comes back as "", so no reader takes the
 * part before it for the whole. */
const char *httpd_query(const struct http_request *req, const char *key);
const char *httpd_header(const struct http_request *req, const char *name);

/* Sends status with body (a JSON text unless content_type says otherwise).
 * Takes ownership of body (malloc'd, may be NULL for an empty body).
 * Valid once per request, now or after the handler returned. */
void httpd_reply(struct http_request *req, int status, char *body);
void httpd_reply_typed(struct http_request *req, int status, char *body,
                       size_t len, const char *content_type);
/* Sets a header of the reply just made, in the handler that made it,
 * replacing one of the same name (such as the default "Cache-Control:
 * no-store"). Without a reply, or out of memory, it does nothing. */
void httpd_reply_header(struct http_request *req, const char *name,
                        const char *value);
/* Shorthand for a {"error": msg} reply. */
void httpd_reply_error(struct http_request *req, int status, const char *msg);

#endif

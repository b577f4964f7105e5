/* httpd.c -- the HTTP server (see httpd.h): libmicrohttpd in epoll mode
 * without a thread of its own, its epoll fd watched by our loop.
 *
 * MHD calls on_request() for a request once when its headers are in, once
 * per piece of body, and once the body is complete; only the first and
 * the last calls may queue a response. The reply is built by httpd_reply()
 * into req->response and queued by the next of those calls: at once when
 * the handler replied before returning, or after the connection, suspended
 * meanwhile, is resumed by a late reply. */
#include "net/httpd.h"

#include <json-c/json.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "array.h"
#include "log.h"
#include "loop.h"

/* Body buffer to start with when the client did not say how long. */
#define BODY_INITIAL_CAP 4096
/* Memory MHD keeps per connection for the request line, headers and its
 * read buffer. */
#define HTTPD_POOL_BYTES 8192

/* A connection, as far as the slow-request guard cares. */
struct connection_watch {
    int fd;
    int64_t waiting_since_ms;       /* for its next request to arrive whole */
    bool in_handler;                /* its request is in (or waits for) us */
    struct connection_watch *prev, *next;
};

struct httpd {
    struct loop *loop;
    struct MHD_Daemon *daemon;
    int epoll_fd;                   /* MHD's; readable when it has work */
    size_t max_body;
    unsigned timeout_s;
    struct connection_watch *connections;
    uint64_t guard_timer;
    unsigned long long slow_closed;
    struct httpd_route *routes;     /* strings kept as given, not copied */
    size_t routes_len, routes_cap;
    struct http_request *suspended; /* waiting for a late httpd_reply() */
    bool resumed;                   /* MHD must run to see resumptions */
    httpd_done_fn done;             /* told of every answered request */
    void *done_ud;
};

struct http_request {
    struct httpd *httpd;
    struct MHD_Connection *conn;
    const char *method, *path;      /* MHD's, valid until completion */
    const char *route;              /* the matching route's path, or NULL */
    int64_t started_us;
    char *body;                     /* NULL while empty */
    size_t body_len, body_cap;
    bool body_too_large;
    bool replied;
    bool suspended;
    struct MHD_Response *response;  /* built by httpd_reply, not queued yet */
    unsigned status;
    struct http_request *prev, *next;   /* in httpd->suspended */
};

/* ---- request accessors ---- */

const char *httpd_method(const struct http_request *req)
{
    return req->method;
}

const char *httpd_path(const struct http_request *req)
{
    return req->path;
}

const char *httpd_body(const struct http_request *req)
{
    return req->body ? req->body : "";
}

size_t httpd_body_len(const struct http_request *req)
{
    return req->body_len;
}

/* A value with a NUL inside (key=1%00x) is refused as absent would be
 * wrong: it comes back as "" so that no reader takes its prefix. */
const char *httpd_query(const struct http_request *req, const char *key)
{
    const char *value = NULL;
    size_t len = 0;

    if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key,
                                      strlen(key), &value, &len) != MHD_YES)
        return NULL;
    return value && strlen(value) == len ? value : "";
}

const char *httpd_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ---- replies ---- */

static void unlink_suspended(struct http_request *req)
{
    if (req->prev)
        req->prev->next = req->next;
    else
        req->httpd->suspended = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
    req->suspended = false;
}

void httpd_reply_typed(struct http_request *req, int status, char *body,
                       size_t len, const char *content_type)
{
    if (req->replied) {
        log_error("httpd: second reply to %s %s dropped", req->method,
                  req->path);
        free(body);
        return;
    }
    req->replied = true;
    req->status = (unsigned)status;
    req->response = MHD_create_response_from_buffer(len, body,
                                                    MHD_RESPMEM_MUST_FREE);
    if (!req->response) {
        free(body);     /* queue_reply() then drops the connection */
    } else if (MHD_add_response_header(req->response, "Content-Type",
                                       content_type) != MHD_YES ||
               MHD_add_response_header(req->response, "Cache-Control",
                                       "no-store") != MHD_YES) {
        MHD_destroy_response(req->response);
        req->response = NULL;
    }
    if (req->suspended) {
        /* No fd wakes us for this: make the next wait short, so that
         * before_sleep() runs MHD soon even if this turn's already ran. */
        unlink_suspended(req);
        MHD_resume_connection(req->conn);
        req->httpd->resumed = true;
        loop_wait_at_most(req->httpd->loop, 0);
    }
}

void httpd_reply(struct http_request *req, int status, char *body)
{
    httpd_reply_typed(req, status, body, body ? strlen(body) : 0,
                      "application/json");
}

void httpd_reply_header(struct http_request *req, const char *name,
                        const char *value)
{
    const char *old;

    if (!req->response)
        return;
    old = MHD_get_response_header(req->response, name);
    if (old)
        MHD_del_response_header(req->response, name, old);
    MHD_add_response_header(req->response, name, value);
}

void httpd_reply_error(struct http_request *req, int status, const char *msg)
{
    json_object *obj = json_object_new_object();
    char *body = NULL;

    if (obj && json_object_object_add(obj, "error",
                                      json_object_new_string(msg)) == 0) {
        const char *text = json_object_to_json_string_ext(
            obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        body = text ? strdup(text) : NULL;
    }
    json_object_put(obj);
    httpd_reply(req, status, body);
}

/* Hands the stored response to MHD; without one the connection closes. */
static enum MHD_Result queue_reply(struct http_request *req)
{
    if (!req->response)
        return MHD_NO;
    enum MHD_Result queued = MHD_queue_response(req->conn, req->status,
                                                req->response);
    MHD_destroy_response(req->response);
    req->response = NULL;
    return queued;
}

static void reply_too_large(struct http_request *req)
{
    char msg[64];

    snprintf(msg, sizeof msg, "body too large (max %zu bytes)",
             req->httpd->max_body);
    httpd_reply_error(req, 413, msg);
}

/* ---- routing ---- */

static void reply_method_not_allowed(struct http_request *req)
{
    const struct httpd *h = req->httpd;
    char allow[128] = "";
    char msg[256];
    size_t len = 0;

    for (size_t i = 0; i < h->routes_len && len < sizeof allow; i++)
        if (strcmp(h->routes[i].path, req->path) == 0)
            len += (size_t)snprintf(allow + len, sizeof allow - len, "%s%s",
                                    len ? ", " : "", h->routes[i].method);
    snprintf(msg, sizeof msg, "method %s not allowed on %s", req->method,
             req->path);
    httpd_reply_error(req, 405, msg);
    if (req->response)
        MHD_add_response_header(req->response, "Allow", allow);
}

/* Runs the handler of the matching route, or replies 404/405. */
static void dispatch(struct http_request *req)
{
    const struct httpd *h = req->httpd;
    bool path_known = false;
    char msg[256];

    for (size_t i = 0; i < h->routes_len; i++) {
        const struct httpd_route *r = &h->routes[i];
        if (strcmp(r->path, req->path) != 0)
            continue;
        req->route = r->path;
        if (strcmp(r->method, req->method) == 0) {
            r->fn(req, r->ud);
            return;
        }
        path_known = true;
    }
    if (path_known) {
        reply_method_not_allowed(req);
        return;
    }
    snprintf(msg, sizeof msg, "no route %s %s", req->method, req->path);
    httpd_reply_error(req, 404, msg);
}

void httpd_on_done(struct httpd *h, httpd_done_fn fn, void *ud)
{
    h->done = fn;
    h->done_ud = ud;
}

int httpd_route(struct httpd *h, const char *method, const char *path,
                httpd_handler fn, void *ud)
{
    if (array_reserve(&h->routes, &h->routes_cap, h->routes_len + 1) < 0)
        return -1;
    h->routes[h->routes_len++] = (struct httpd_route){ method, path, fn, ud };
    return 0;
}

/* ---- MHD callbacks ---- */

/* Appends a piece of body; past max_body the rest is counted as lost. */
static void collect_body(struct http_request *req, const char *data,
                         size_t len)
{
    size_t max_body = req->httpd->max_body;

    if (req->body_too_large)
        return;
    if (len > max_body - req->body_len) {
        req->body_too_large = true;
        free(req->body);
        req->body = NULL;
        req->body_len = req->body_cap = 0;
        return;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : BODY_INITIAL_CAP;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        if (cap > max_body + 1)
            cap = max_body + 1;
        char *grown = realloc(req->body, cap);
        if (!grown) {
            req->body_too_large = true;     /* the nearest honest answer */
            return;
        }
        req->body = grown;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
}

static struct connection_watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* Keeps a record of every connection, for the slow-request guard. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct httpd *h = cls;
    struct connection_watch *w = *socket_context;
    const union MHD_ConnectionInfo *info;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        w = calloc(1, sizeof(*w));
        if (!w || !info) {
            free(w);
            return;             /* unguarded: MHD's idle timeout still holds */
        }
        w->fd = info->connect_fd;
        w->waiting_since_ms = loop_now_ms();
        w->next = h->connections;
        if (h->connections)
            h->connections->prev = w;
        h->connections = w;
        *socket_context = w;
        return;
    }
    if (!w)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        h->connections = w->next;
    if (w->next)
        w->next->prev = w->prev;
    free(w);
    *socket_context = NULL;
}

/* Once a second: a connection whose request has not arrived whole within
 * the timeout (headers or body sent a byte at a time) is shut down; MHD
 * then sees it closed. Requests being handled are not timed here. */
static void on_guard_timer(struct loop *l, void *ud)
{
    struct httpd *h = ud;
    int64_t limit = loop_now_ms() - (int64_t)h->timeout_s * 1000;

    for (struct connection_watch *w = h->connections; w; w = w->next)
        if (!w->in_handler && w->waiting_since_ms < limit && w->fd >= 0) {
            shutdown(w->fd, SHUT_RDWR);
            w->fd = -1;
            h->slow_closed++;
        }
    h->guard_timer = loop_timer(l, 1000, on_guard_timer, h);
}

static int64_t monotonic_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The first call for a request: refuses an announced body that is too
 * large, and sizes the body buffer for one that is not. */
static enum MHD_Result start_request(struct httpd *h,
                                     struct MHD_Connection *conn,
                                     const char *url, const char *method,
                                     void **con_cls)
{
    struct http_request *req = calloc(1, sizeof *req);

    if (!req)
        return MHD_NO;
    req->httpd = h;
    req->conn = conn;
    req->method = method;
    req->path = url;
    req->started_us = monotonic_us();
    *con_cls = req;

    const char *length = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!length)
        return MHD_YES;
    unsigned long long announced = strtoull(length, NULL, 10);
    if (announced > h->max_body) {
        reply_too_large(req);
        return queue_reply(req);
    }
    if (announced > 0) {
        req->body = malloc((size_t)announced + 1);
        req->body_cap = req->body ? (size_t)announced + 1 : 0;
    }
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_request *req = *con_cls;

    if (!req)
        return start_request(cls, conn, url, method, con_cls);
    if (*upload_data_size > 0) {
        collect_body(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!req->replied) {
        struct connection_watch *w = watch_of(conn);
        if (w)
            w->in_handler = true;
        if (req->body_too_large)
            reply_too_large(req);
        else
            dispatch(req);
    }
    if (!req->replied) {
        struct httpd *h = req->httpd;
        req->suspended = true;
        req->next = h->suspended;
        if (h->suspended)
            h->suspended->prev = req;
        h->suspended = req;
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    return queue_reply(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct http_request *req = *con_cls;
    struct connection_watch *w = watch_of(conn);

    if (w) {                    /* the next request's time starts now */
        w->in_handler = false;
        w->waiting_since_ms = loop_now_ms();
    }
    if (!req)
        return;
    if (req->httpd->done && req->status)
        req->httpd->done(req->httpd->done_ud, req->route, req->status,
                         (double)(monotonic_us() - req->started_us) / 1e6);
    if (req->response)
        MHD_destroy_response(req->response);
    free(req->body);
    free(req);
    *con_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("httpd: %s", msg);
}

/* ---- driving MHD from the loop ---- */

static void on_mhd_ready(struct loop *l, int fd, int events, void *ud)
{
    struct httpd *h = ud;

    MHD_run(h->daemon);
}

/* MHD may hold work no fd announces: resumed connections, whose reply is
 * only queued when MHD runs, and connections with buffered data, which a
 * timeout of 0 reveals. Otherwise MHD bounds our wait by the next
 * connection timeout. */
static void before_sleep(struct loop *l, void *ud)
{
    struct httpd *h = ud;
    MHD_UNSIGNED_LONG_LONG timeout;
    bool has_timeout = MHD_get_timeout(h->daemon, &timeout) == MHD_YES;

    if (h->resumed || (has_timeout && timeout == 0)) {
        h->resumed = false;
        MHD_run(h->daemon);
        has_timeout = MHD_get_timeout(h->daemon, &timeout) == MHD_YES;
    }
    if (has_timeout)
        loop_wait_at_most(l, timeout > INT64_MAX ? INT64_MAX
                                                 : (int64_t)timeout);
}

/* ---- start and stop ---- */

struct httpd *httpd_start(struct loop *l, const char *bind_addr,
                          unsigned port, const struct httpd_limits *limits)
{
    const struct addrinfo hints = {
        .ai_family = AF_INET,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
    };
    struct addrinfo *addr = NULL;
    char service[16];
    const char *host = bind_addr && *bind_addr ? bind_addr : NULL;
    struct httpd *h = NULL;

    snprintf(service, sizeof service, "%u", port);
    int gai = port > UINT16_MAX ? EAI_SERVICE
                                : getaddrinfo(host, service, &hints, &addr);
    if (gai != 0) {
        log_error("httpd: cannot listen on %s:%u: %s", host ? host : "*",
                  port, gai_strerror(gai));
        goto fail;
    }
    h = calloc(1, sizeof *h);
    if (!h)
        goto fail;
    h->loop = l;
    h->max_body = limits->max_body;
    h->timeout_s = limits->timeout_s;
    h->epoll_fd = -1;
    h->daemon = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, on_request, h,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,     /* must come first */
        MHD_OPTION_SOCK_ADDR, addr->ai_addr,
        MHD_OPTION_CONNECTION_TIMEOUT, limits->timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, limits->max_connections,
        /* Bodies are gathered by on_request, not in MHD's pool, and
         * headers are short: a small pool is cleared faster per request. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTPD_POOL_BYTES,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_END);
    if (!h->daemon) {
        log_error("httpd: cannot listen on %s:%u", host ? host : "*", port);
        goto fail;
    }
    h->epoll_fd = MHD_get_daemon_info(h->daemon,
                                      MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
    h->guard_timer = loop_timer(l, 1000, on_guard_timer, h);
    if (!h->guard_timer ||
        loop_watch(l, h->epoll_fd, LOOP_READ, on_mhd_ready, h) < 0 ||
        loop_before_sleep(l, before_sleep, h) < 0) {
        log_error("httpd: cannot register with the loop");
        goto fail;
    }
    freeaddrinfo(addr);
    return h;
fail:
    if (addr)
        freeaddrinfo(addr);
    httpd_stop(h);
    return NULL;
}

/* Requests still waiting for a reply are resumed, as MHD requires before
 * it stops, and closed unanswered: pointers to them die here. The loop
 * must not run again, for it would call before_sleep() with h freed. */
void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    while (h->suspended) {
        struct MHD_Connection *conn = h->suspended->conn;
        unlink_suspended(h->suspended);
        MHD_resume_connection(conn);
    }
    if (h->epoll_fd >= 0)
        loop_unwatch(h->loop, h->epoll_fd);
    if (h->guard_timer)
        loop_cancel(h->loop, h->guard_timer);
    if (h->daemon)
        MHD_stop_daemon(h->daemon);     /* frees the connection records */
    free(h->routes);
    free(h);
}

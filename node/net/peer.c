/* peer.c -- a node's routes, requests and replies (see peer.h). */
#include "net/peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "log.h"
#include "net/auth.h"
#include "net/codec.h"

/* How far a signature's time may be from this node's clock. */
#define PEER_AUTH_WINDOW_MS 30000

/* A route with who may call it, between the server and its handler. */
struct guarded_route {
    struct peer *peer;
    enum route_kind kind;
    httpd_handler fn;
    void *ud;
};

struct peer {
    struct peer_settings set;
    struct httpd *httpd;
    struct httpd *peer_httpd;   /* peer routes' server; NULL: httpd */
    struct httpc *httpc;
    struct auth *auth;          /* NULL: the cluster has no secret */
    /* Pointers, not an array of routes: each is the ud of a registered
     * handler, so it must not move when more are added. */
    struct guarded_route **routes;
    size_t n_routes, cap_routes;
    uint64_t bad_requests;      /* answered 4xx, but for 401 */
};

const char *route_kind_name(enum route_kind kind)
{
    switch (kind) {
    case ROUTE_OPEN: return "open";
    case ROUTE_USER: return "user";
    case ROUTE_PEER: break;
    }
    return "peer";
}

struct peer *peer_start(struct loop *l, const struct peer_settings *set)
{
    struct peer *p = calloc(1, sizeof(*p));
    const char *bind = set->bind[0] ? set->bind : NULL;

    if (!p)
        return NULL;
    p->set = *set;
    p->httpd = httpd_start(l, bind, set->port, &set->limits);
    if (p->httpd && set->peer_port_offset)
        p->peer_httpd = httpd_start(l, bind, set->port + set->peer_port_offset,
                                    &set->limits);
    p->httpc = httpc_new(l);
    if (!p->httpd || (set->peer_port_offset && !p->peer_httpd) || !p->httpc)
        goto fail;
    if (set->secret[0] &&
        !(p->auth = auth_new(set->secret, strlen(set->secret),
                             PEER_AUTH_WINDOW_MS)))
        goto fail;
    if (!p->auth)
        log_warn("no cluster secret (CLUSTER_SECRET or --cluster-secret-file): "
                 "anyone who reaches this port can send Paxos messages");
    return p;
fail:
    peer_stop(p);
    return NULL;
}

void peer_end_requests(struct peer *p)
{
    httpc_free(p->httpc);
    p->httpc = NULL;
}

void peer_stop(struct peer *p)
{
    if (!p)
        return;
    peer_end_requests(p);
    auth_free(p->auth);
    if (p->peer_httpd)
        httpd_stop(p->peer_httpd);
    if (p->httpd)
        httpd_stop(p->httpd);
    for (size_t i = 0; i < p->n_routes; i++)
        free(p->routes[i]);
    free(p->routes);
    free(p);
}

/* ---- who may call a route ---- */

static const char *const token_required =
    "a client token is required (Authorization: Bearer TOKEN)";

/* Why req may not call a route of this kind, or NULL when it may. */
static const char *peer_refusal(struct peer *p, struct http_request *req,
                                enum route_kind kind)
{
    const char *bearer = httpd_header(req, "Authorization");
    enum auth_result r;

    if (kind == ROUTE_OPEN ||
        (kind == ROUTE_USER && !p->set.client_token[0]) ||
        (kind == ROUTE_PEER && !p->auth))
        return NULL;
    if (kind == ROUTE_USER && bearer && strncmp(bearer, "Bearer ", 7) == 0 &&
        auth_equal(bearer + 7, p->set.client_token))
        return NULL;
    if (!p->auth)
        return token_required;
    r = auth_check(p->auth, httpd_method(req), httpd_path(req),
                   httpd_body(req), httpd_body_len(req),
                   httpd_header(req, AUTH_HEADER), auth_now_ms());
    if (r == AUTH_OK)
        return NULL;
    return kind == ROUTE_USER && r == AUTH_MISSING ? token_required
                                                   : auth_result_text(r);
}

static void peer_on_guarded(struct http_request *req, void *ud)
{
    struct guarded_route *g = ud;
    const char *why = peer_refusal(g->peer, req, g->kind);
    char msg[160];

    if (!why) {
        g->fn(req, g->ud);
        return;
    }
    snprintf(msg, sizeof(msg), "unauthorized: %s", why);
    log_warn("%s %s refused: %s", httpd_method(req), httpd_path(req), why);
    httpd_reply_error(req, 401, msg);
}

int peer_route(struct peer *p, const char *method, const char *path,
               enum route_kind kind, httpd_handler fn, void *ud)
{
    struct guarded_route *g;

    if (array_reserve(&p->routes, &p->cap_routes, p->n_routes + 1) < 0 ||
        !(g = malloc(sizeof(*g))))
        return -1;
    *g = (struct guarded_route){ p, kind, fn, ud };
    p->routes[p->n_routes++] = g;
    return httpd_route(kind == ROUTE_PEER && p->peer_httpd ? p->peer_httpd
                                                           : p->httpd,
                       method, path, peer_on_guarded, g);
}

int peer_routes(struct peer *p, const struct route *table, size_t n,
                void *ud)
{
    for (size_t i = 0; i < n; i++)
        if (peer_route(p, table[i].method, table[i].path, table[i].kind,
                       table[i].fn, ud) < 0)
            return -1;
    return 0;
}

void peer_on_done(struct peer *p, httpd_done_fn fn, void *ud)
{
    httpd_on_done(p->httpd, fn, ud);
    if (p->peer_httpd)
        httpd_on_done(p->peer_httpd, fn, ud);
}

/* ---- requests ---- */

int peer_request(struct peer *p, const struct node_info *to,
                 enum route_kind kind, const char *path, const char *body,
                 const char *extra_header, long timeout_ms, httpc_done_fn fn,
                 void *ud)
{
    const char *method = body ? "POST" : "GET";
    unsigned port = to->port + (kind == ROUTE_PEER ? p->set.peer_port_offset
                                                   : 0);
    char url[CLUSTER_HOST_MAX + 300];
    char signature[AUTH_HEADER_MAX], signed_path[256];
    const char *headers[3] = { NULL, NULL, NULL };
    size_t h = 0, len = body ? strlen(body) : 0;
    int rc;

    snprintf(url, sizeof(url), "http://%s:%u%s", to->host, port, path);
    if (p->auth) {
        snprintf(signed_path, sizeof(signed_path), "%.*s",
                 (int)strcspn(path, "?"), path);
        auth_sign(p->auth, method, signed_path, body, len, auth_now_ms(),
                  signature);
        headers[h++] = signature;
    }
    if (extra_header)
        headers[h++] = extra_header;
    rc = p->httpc ? httpc_request(p->httpc, method, url, body, len, headers,
                                  timeout_ms, fn, ud)
                  : -1;
    if (rc < 0)
        log_error("cannot start a request to %s", url);
    return rc;
}

int peer_send(struct peer *p, const struct node_info *to, const char *path,
              const char *body, httpc_done_fn fn, void *ud)
{
    return peer_request(p, to, ROUTE_PEER, path, body, NULL,
                        p->set.request_timeout_ms, fn, ud);
}

int peer_ask(struct peer *p, const struct node_info *to, const char *path,
             long timeout_ms, httpc_done_fn fn, void *ud)
{
    return peer_request(p, to, ROUTE_PEER, path, NULL, NULL, timeout_ms, fn,
                        ud);
}

void peer_broadcast(struct peer *p, enum role role, const char *path,
                    const char *body, httpc_done_fn fn, void *ud)
{
    for (size_t i = 0; i < p->set.n_nodes; i++) {
        const struct node_info *to = &p->set.nodes[i];
        if (to->role == role && to->id != p->set.self_id)
            peer_send(p, to, path, body, fn, ud);
    }
}

void peer_ignore_answer(void *ud, int status, const char *body, size_t len,
                        const char *err)
{
}

/* ---- reading requests ---- */

int peer_decode(struct peer *p, struct http_request *req, enum msg_type t,
                struct msg *m)
{
    char err[256];

    if (msg_decode(t, httpd_body(req), httpd_body_len(req), p->set.max_value,
                   m, err, sizeof(err)) == 0)
        return 0;
    peer_reply_bad(p, req, 400, err);
    return -1;
}

int peer_query_number(struct peer *p, struct http_request *req,
                      const char *name, uint64_t min, uint64_t max,
                      uint64_t *out)
{
    const char *arg = httpd_query(req, name);
    char *end, msg[128];
    unsigned long long v;

    if (!arg)
        return 0;
    errno = 0;
    v = strtoull(arg, &end, 10);
    if (*arg && !*end && errno == 0 && v >= min && v <= max && arg[0] != '-') {
        *out = v;
        return 0;
    }
    snprintf(msg, sizeof(msg), "'%s' must be a number from %llu to %llu", name,
             (unsigned long long)min, (unsigned long long)max);
    peer_reply_bad(p, req, 400, msg);
    return -1;
}

int peer_values_query(struct peer *p, struct http_request *req,
                      struct values_query *q)
{
    *q = (struct values_query){ 0, 0, 0 };
    if (peer_query_number(p, req, "from", 1, INT64_MAX, &q->from) < 0 ||
        peer_query_number(p, req, "limit", 1, INT64_MAX, &q->limit) < 0 ||
        peer_query_number(p, req, "last", 1, INT64_MAX, &q->last) < 0)
        return -1;
    if (q->last && (q->from || q->limit)) {
        peer_reply_bad(p, req, 400, "'last' cannot be given with 'from' or "
                                    "'limit'");
        return -1;
    }
    if (!q->from)
        q->from = 1;
    if (!q->limit)
        q->limit = INT64_MAX;
    return 0;
}

void peer_values_query_path(const struct values_query *q, char *buf,
                            size_t len)
{
    if (q->last)
        snprintf(buf, len, "&last=%llu", (unsigned long long)q->last);
    else
        snprintf(buf, len, "&from=%llu&limit=%llu",
                 (unsigned long long)q->from, (unsigned long long)q->limit);
}

/* ---- replies ---- */

void peer_reply_json(struct http_request *req, int status,
                     struct json_object *o)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

    httpd_reply(req, status, strdup(text));
    json_object_put(o);
}

void peer_reply_msg(struct http_request *req, int status, const struct msg *m)
{
    char *text = msg_encode(m);

    if (!text) {
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    httpd_reply(req, status, text);
}

void peer_reply_bad(struct peer *p, struct http_request *req, int status,
                    const char *msg)
{
    p->bad_requests++;
    log_debug("%s %s: %d %s", httpd_method(req), httpd_path(req), status, msg);
    httpd_reply_error(req, status, msg);
}

void peer_count_bad_request(struct peer *p)
{
    p->bad_requests++;
}

uint64_t peer_bad_requests(const struct peer *p)
{
    return p->bad_requests;
}

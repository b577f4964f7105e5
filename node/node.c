/* node.c -- the process around a role: starts the loop, the HTTP server
 * and client, answers /health, /status and /view-logs, and offers the
 * peer-messaging helpers every role uses (see node.h). */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/auth.h"
#include "gossip.h"
#include "log.h"
#include "metrics.h"


int node_request(struct node *n, const struct node_info *peer,
                 enum route_kind kind, const char *path, const char *body,
                 const char *extra_header, long timeout_ms, httpc_done_fn fn,
                 void *ud)
{
    const char *method = body ? "POST" : "GET";
    unsigned port = peer->port + (kind == ROUTE_PEER ? n->cfg->peer_port_offset : 0);
    char url[CLUSTER_HOST_MAX + 300];
    char signature[AUTH_HEADER_MAX], signed_path[256];
    const char *headers[3] = { NULL, NULL, NULL };
    size_t h = 0, len = body ? strlen(body) : 0;
    int rc;

    snprintf(url, sizeof(url), "http://%s:%u%s", peer->host, port, path);
    if (n->auth) {
        snprintf(signed_path, sizeof(signed_path), "%.*s",
                 (int)strcspn(path, "?"), path);
        auth_sign(n->auth, method, signed_path, body, len, auth_now_ms(),
                  signature);
        headers[h++] = signature;
    }
    if (extra_header)
        headers[h++] = extra_header;
    rc = httpc_request(n->httpc, method, url, body, len, headers, timeout_ms,
                       fn, ud);
    if (rc < 0)
        log_error("cannot start a request to %s", url);
    return rc;
}

int node_send(struct node *n, const struct node_info *peer, const char *path,
              const char *body, httpc_done_fn fn, void *ud)
{
    return node_request(n, peer, ROUTE_PEER, path, body, NULL,
                        n->cfg->request_timeout_ms, fn, ud);
}

/* ---- who may call a route ---- */

#define NODE_MAX_ROUTES 48

struct guarded_route {
    struct node *node;
    enum route_kind kind;
    httpd_handler fn;
    void *ud;
};

/* Why req may not call a route of this kind, or NULL when it may. */
static const char *node_refusal(struct node *n, struct http_request *req,
                                enum route_kind kind)
{
    const char *bearer = httpd_header(req, "Authorization");
    enum auth_result r;

    if (kind == ROUTE_OPEN || (kind == ROUTE_USER && !n->cfg->client_token[0]) ||
        (kind == ROUTE_PEER && !n->auth))
        return NULL;
    if (kind == ROUTE_USER && bearer && strncmp(bearer, "Bearer ", 7) == 0 &&
        auth_equal(bearer + 7, n->cfg->client_token))
        return NULL;
    if (!n->auth)
        return "a client token is required (Authorization: Bearer TOKEN)";
    r = auth_check(n->auth, httpd_method(req), httpd_path(req), httpd_body(req),
                   httpd_body_len(req), httpd_header(req, AUTH_HEADER),
                   auth_now_ms());
    if (r == AUTH_OK)
        return NULL;
    return kind == ROUTE_USER && r == AUTH_MISSING
               ? "a client token is required (Authorization: Bearer TOKEN)"
               : auth_result_text(r);
}

static void node_on_guarded(struct http_request *req, void *ud)
{
    struct guarded_route *g = ud;
    struct node *n = g->node;
    const char *why = node_refusal(n, req, g->kind);
    char msg[160];

    if (!why) {
        g->fn(req, g->ud);
        return;
    }
    n->unauthorized++;
    snprintf(msg, sizeof(msg), "unauthorized: %s", why);
    log_warn("%s %s refused: %s", httpd_method(req), httpd_path(req), why);
    httpd_reply_error(req, 401, msg);
}

int node_route(struct node *n, const char *method, const char *path,
               enum route_kind kind, httpd_handler fn, void *ud)
{
    struct guarded_route *g;

    if (!n->routes && !(n->routes = calloc(NODE_MAX_ROUTES, sizeof(*n->routes))))
        return -1;
    if (n->n_routes == NODE_MAX_ROUTES)
        return -1;
    g = &n->routes[n->n_routes++];
    *g = (struct guarded_route){ n, kind, fn, ud };
    return httpd_route(kind == ROUTE_PEER && n->peer_httpd ? n->peer_httpd : n->httpd,
                       method, path, node_on_guarded, g);
}

void node_ignore_answer(void *ud, int status, const char *body, size_t len,
                        const char *err)
{
}

void node_broadcast(struct node *n, enum role role, const char *path,
                    const char *body, httpc_done_fn fn, void *ud)
{
    for (size_t i = 0; i < n->cfg->n_nodes; i++) {
        const struct node_info *peer = &n->cfg->nodes[i];
        if (peer->role == role && peer->id != n->cfg->id)
            node_send(n, peer, path, body, fn, ud);
    }
}

int node_query_number(struct node *n, struct http_request *req,
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
    node_reply_bad(n, req, 400, msg);
    return -1;
}

int node_values_query(struct node *n, struct http_request *req,
                      struct values_query *q)
{
    *q = (struct values_query){ 0, 0, 0 };
    if (node_query_number(n, req, "from", 1, INT64_MAX, &q->from) < 0 ||
        node_query_number(n, req, "limit", 1, INT64_MAX, &q->limit) < 0 ||
        node_query_number(n, req, "last", 1, INT64_MAX, &q->last) < 0)
        return -1;
    if (q->last && (q->from || q->limit)) {
        node_reply_bad(n, req, 400, "'last' cannot be given with 'from' or "
                                    "'limit'");
        return -1;
    }
    if (!q->from)
        q->from = 1;
    if (!q->limit)
        q->limit = INT64_MAX;
    return 0;
}

void node_values_query_path(const struct values_query *q, char *buf,
                            size_t len)
{
    if (q->last)
        snprintf(buf, len, "&last=%llu", (unsigned long long)q->last);
    else
        snprintf(buf, len, "&from=%llu&limit=%llu",
                 (unsigned long long)q->from, (unsigned long long)q->limit);
}

void node_reply_json(struct http_request *req, int status,
                     struct json_object *o)
{
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

    httpd_reply(req, status, strdup(text));
    json_object_put(o);
}

void node_reply_msg(struct http_request *req, int status, const struct msg *m)
{
    char *text = msg_encode(m);

    if (!text) {
        httpd_reply_error(req, 500, "out of memory");
        return;
    }
    httpd_reply(req, status, text);
}

void node_reply_bad(struct node *n, struct http_request *req, int status,
                    const char *msg)
{
    n->bad_requests++;
    log_debug("%s %s: %d %s", httpd_method(req), httpd_path(req), status, msg);
    httpd_reply_error(req, status, msg);
}

int node_decode(struct node *n, struct http_request *req, enum msg_type t,
                struct msg *m)
{
    char err[256];

    if (msg_decode(t, httpd_body(req), httpd_body_len(req),
                   n->cfg->max_value, m, err, sizeof(err)) == 0)
        return 0;
    node_reply_bad(n, req, 400, err);
    return -1;
}

struct json_object *node_json_ballot(struct ballot b)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "round", json_object_new_int64(b.round));
    json_object_object_add(o, "node", json_object_new_int64(b.node));
    return o;
}

struct json_object *node_json_value(uint64_t slot, const struct pvalue *v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "slot", json_object_new_int64((int64_t)slot));
    if (pvalue_is_noop(v)) {
        json_object_object_add(o, "noop", json_object_new_boolean(1));
        return o;
    }
    json_object_object_add(o, "value", json_object_new_string(v->data));
    json_object_object_add(o, "client_id",
                           json_object_new_string(v->client ? v->client : ""));
    json_object_object_add(o, "seq", json_object_new_int64((int64_t)v->seq));
    return o;
}

const char *node_name(const struct node *n, uint32_t id)
{
    const struct node_info *info = config_node(n->cfg, id);

    return info ? info->name : "";
}

static struct json_object *node_status_object(struct node *n)
{
    struct json_object *o = json_object_new_object();
    char address[CLUSTER_HOST_MAX + 8];

    snprintf(address, sizeof(address), "%s:%u", n->self->host,
             (unsigned)n->self->port);
    json_object_object_add(o, "id", json_object_new_int64(n->cfg->id));
    json_object_object_add(o, "name", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "role",
                           json_object_new_string(role_name(n->cfg->role)));
    json_object_object_add(o, "address", json_object_new_string(address));
    json_object_object_add(o, "uptime_ms",
        json_object_new_int64(loop_now_ms() - n->started_at));
    json_object_object_add(o, "bad_requests",
        json_object_new_int64((int64_t)n->bad_requests));
    n->ops->status(n, o);
    gossip_status(n, o);
    return o;
}

static void node_on_health(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "name", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "role",
                           json_object_new_string(role_name(n->cfg->role)));
    node_reply_json(req, 200, o);
}

static void node_on_status(struct http_request *req, void *ud)
{
    node_reply_json(req, 200, node_status_object(ud));
}

static void node_add_log_line(const char *line, void *ud)
{
    json_object_array_add(ud, json_object_new_string(line));
}

static void node_on_view_logs(struct http_request *req, void *ud)
{
    struct json_object *o = node_status_object(ud);
    struct json_object *lines = json_object_new_array();

    log_ring_each(node_add_log_line, lines);
    json_object_object_add(o, "logs", lines);
    node_reply_json(req, 200, o);
}

static void node_on_tick(struct loop *l, void *ud)
{
    struct node *n = ud;

    n->ops->tick(n, loop_now_ms());
    gossip_tick(n, loop_now_ms());
    n->tick_timer = loop_timer(l, NODE_TICK_MS, node_on_tick, n);
}

static void node_on_before_sleep(struct loop *l, void *ud)
{
    struct node *n = ud;

    n->ops->flush(n);
}

static const struct role_ops *node_role_ops(enum role r)
{
    switch (r) {
    case ROLE_PROPOSER: return &proposer_role;
    case ROLE_ACCEPTOR: return &acceptor_role;
    case ROLE_LEARNER: return &learner_role;
    case ROLE_CLIENT: break;
    }
    return &client_role;
}

int node_run(const struct config *cfg)
{
    struct node n = { .cfg = cfg, .ops = node_role_ops(cfg->role) };
    const struct httpd_limits limits = {
        .max_body = cfg->max_body, .max_connections = cfg->max_connections,
        .timeout_s = cfg->idle_timeout_s,
    };
    int rc = 1;

    n.self = config_node(cfg, cfg->id);
    n.started_at = loop_now_ms();
    n.loop = loop_new();
    if (!n.loop)
        goto out;
    n.httpd = httpd_start(n.loop, cfg->bind, cfg->port, &limits);
    if (n.httpd && cfg->peer_port_offset)
        n.peer_httpd = httpd_start(n.loop, cfg->bind,
                                   cfg->port + cfg->peer_port_offset, &limits);
    n.httpc = httpc_new(n.loop);
    if (!n.httpd || (cfg->peer_port_offset && !n.peer_httpd) || !n.httpc)
        goto out;
    if (cfg->secret[0] &&
        !(n.auth = auth_new(cfg->secret, strlen(cfg->secret), NODE_AUTH_WINDOW_MS)))
        goto out;
    if (!n.auth)
        log_warn("no cluster secret (CLUSTER_SECRET or --cluster-secret-file): "
                 "anyone who reaches this port can send Paxos messages");
    if (node_route(&n, "GET", "/health", ROUTE_OPEN, node_on_health, &n) < 0 ||
        node_route(&n, "GET", "/status", ROUTE_USER, node_on_status, &n) < 0 ||
        node_route(&n, "GET", "/view-logs", ROUTE_USER, node_on_view_logs, &n) < 0)
        goto out;
    if (metrics_start(&n) < 0 || gossip_start(&n) < 0 || n.ops->start(&n) < 0)
        goto out;
    n.tick_timer = loop_timer(n.loop, NODE_TICK_MS, node_on_tick, &n);
    if (!n.tick_timer || loop_before_sleep(n.loop, node_on_before_sleep, &n) < 0)
        goto stop_role;
    if (cfg->peer_port_offset)
        log_info("%s %u listening on port %u (peers: port %u)",
                 role_name(cfg->role), (unsigned)cfg->id, (unsigned)cfg->port,
                 (unsigned)(cfg->port + cfg->peer_port_offset));
    else
        log_info("%s %u listening on port %u", role_name(cfg->role),
                 (unsigned)cfg->id, (unsigned)cfg->port);
    rc = loop_run(n.loop) < 0;
    log_info("shutting down");
    httpc_free(n.httpc);        /* calls back what is in flight: roles free it */
    n.httpc = NULL;
stop_role:
    n.ops->stop(&n);
out:
    httpc_free(n.httpc);
    gossip_stop(&n);
    metrics_free(n.metrics);
    auth_free(n.auth);
    if (n.peer_httpd)
        httpd_stop(n.peer_httpd);
    if (n.httpd)
        httpd_stop(n.httpd);
    free(n.routes);
    if (n.loop)
        loop_free(n.loop);
    return rc;
}

/* node.c -- the process around a role: starts the loop, the network,
 * gossip and metrics, plugs the role in, answers the routes every node
 * has (/health, /status, /view-logs, /metrics), and runs until told to
 * stop. */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gossip.h"
#include "log.h"
#include "metrics.h"
#include "page.h"

static void node_on_health(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "status", json_object_new_string("ok"));
    json_object_object_add(o, "name", json_object_new_string(n->cfg->name));
    json_object_object_add(o, "role",
                           json_object_new_string(role_name(n->cfg->role)));
    peer_reply_json(req, 200, o);
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
        json_object_new_int64((int64_t)peer_bad_requests(n->peer)));
    n->ops->status(n, o);
    gossip_status(n->gossip, o);
    return o;
}

static void node_on_status(struct http_request *req, void *ud)
{
    peer_reply_json(req, 200, node_status_object(ud));
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
    peer_reply_json(req, 200, o);
}

static void node_on_metrics(struct http_request *req, void *ud)
{
    struct node *n = ud;

    metrics_reply(n->metrics, req);
}

/* The routes every node answers, whatever its role. */
static const struct route node_routes[] = {
    { "GET", "/health", ROUTE_OPEN, node_on_health },
    { "GET", "/status", ROUTE_USER, node_on_status },
    { "GET", "/view-logs", ROUTE_USER, node_on_view_logs },
    { "GET", "/metrics", ROUTE_USER, node_on_metrics },
};
#define NODE_N_ROUTES (sizeof node_routes / sizeof node_routes[0])

/* paxos_node_info and paxos_uptime_seconds, then the role's samples. */
static void node_metrics(void *ud, FILE *out)
{
    struct node *n = ud;
    char labels[160];

    snprintf(labels, sizeof(labels), "id=\"%u\",name=\"%s\",role=\"%s\"",
             (unsigned)n->cfg->id, n->cfg->name, role_name(n->cfg->role));
    metrics_sample(out, "gauge", "paxos_node_info", "The node's identity.",
                   labels, 1);
    metrics_sample(out, "gauge", "paxos_uptime_seconds", "Time since start.",
                   NULL, (double)(loop_now_ms() - n->started_at) / 1000);
    n->ops->metrics(n, out);
}

static void node_on_tick(struct loop *l, void *ud)
{
    struct node *n = ud;

    n->ops->tick(n, loop_now_ms());
    gossip_tick(n->gossip, loop_now_ms());
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

static void node_print_route(FILE *out, const char *who, const char *method,
                             const char *path, enum route_kind kind)
{
    fprintf(out, "%-9s %-6s %-14s %s\n", who, method, path,
            route_kind_name(kind));
}

static void node_print_table(FILE *out, const char *who,
                             const struct route *table, size_t n)
{
    for (size_t i = 0; i < n; i++)
        node_print_route(out, who, table[i].method, table[i].path,
                         table[i].kind);
}

void node_print_routes(FILE *out)
{
    fprintf(out, "%-9s %-6s %-14s %s\n", "ROLE", "METHOD", "PATH", "CALLER");
    node_print_table(out, "every", node_routes, NODE_N_ROUTES);
    node_print_table(out, "every", gossip_routes, gossip_n_routes);
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct role_ops *ops = node_role_ops((enum role)r);
        node_print_table(out, role_name((enum role)r), ops->routes,
                         ops->n_routes);
    }
    node_print_route(out, "client", "GET", "/", ROUTE_OPEN);
    for (size_t i = 0; i < page_assets_count; i++)
        node_print_route(out, "client", "GET", page_assets[i].path,
                         ROUTE_OPEN);
}

static struct peer *node_start_peer(struct node *n)
{
    const struct config *cfg = n->cfg;
    const struct peer_settings set = {
        .bind = cfg->bind, .port = cfg->port,
        .peer_port_offset = cfg->peer_port_offset,
        .limits = { .max_body = cfg->max_body,
                    .max_connections = cfg->max_connections,
                    .timeout_s = cfg->idle_timeout_s },
        .secret = cfg->secret, .client_token = cfg->client_token,
        .nodes = cfg->nodes, .n_nodes = cfg->n_nodes, .self_id = cfg->id,
        .request_timeout_ms = cfg->request_timeout_ms,
        .max_value = cfg->max_value,
    };

    return peer_start(n->loop, &set);
}

int node_run(const struct config *cfg)
{
    struct node n = { .cfg = cfg, .ops = node_role_ops(cfg->role) };
    int rc = 1;

    n.self = config_node(cfg, cfg->id);
    n.started_at = loop_now_ms();
    if (!(n.loop = loop_new()) || !(n.peer = node_start_peer(&n)) ||
        !(n.metrics = metrics_new()))
        goto out;
    peer_on_done(n.peer, metrics_observe, n.metrics);
    if (peer_routes(n.peer, node_routes, NODE_N_ROUTES, &n) < 0 ||
        metrics_add(n.metrics, node_metrics, &n) < 0 ||
        !(n.gossip = gossip_start(cfg, n.self, n.peer, n.metrics)) ||
        n.ops->start(&n) < 0 ||
        peer_routes(n.peer, n.ops->routes, n.ops->n_routes, &n) < 0)
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
    peer_end_requests(n.peer);  /* calls back what is in flight: roles free it */
stop_role:
    n.ops->stop(&n);
out:
    if (n.peer)
        peer_end_requests(n.peer);
    gossip_stop(n.gossip);
    peer_stop(n.peer);
    metrics_free(n.metrics);
    if (n.loop)
        loop_free(n.loop);
    return rc;
}

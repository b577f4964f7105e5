/* node.h -- what every paxosd role shares: the loop, the HTTP server and
 * client, the settings, the routes every node answers (/health, /status,
 * /view-logs), and helpers to talk to peers.
 *
 * A role plugs in through struct role_ops: it registers its routes at
 * start, is ticked every NODE_TICK_MS, flushes batched work once per loop
 * turn, and adds its fields to /status. Everything runs on the loop's
 * thread, so role state needs no locks. */
#ifndef PAXOS_NODE_H
#define PAXOS_NODE_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

#include "net/codec.h"
#include "config.h"
#include "net/httpc.h"
#include "net/httpd.h"
#include "loop.h"

#define NODE_TICK_MS 10
/* How far a signature's time may be from this node's clock. */
#define NODE_AUTH_WINDOW_MS 30000
/* Header set on a write a proposer forwards to the leader, so that a
 * forwarded write is never forwarded again. */
#define NODE_FORWARDED_HEADER "X-Paxos-Forwarded"

struct node;
struct auth;
struct guarded_route;

/* Who may call a route. Peer routes need the cluster's signature when it
 * has a secret; user routes need the client token (or a peer's
 * signature) when one is set; open routes (health probes, the page's
 * files) answer anyone. */
enum route_kind { ROUTE_OPEN, ROUTE_USER, ROUTE_PEER };

struct role_ops {
    int (*start)(struct node *n);
    void (*tick)(struct node *n, int64_t now);
    void (*flush)(struct node *n);
    void (*status)(struct node *n, struct json_object *o);
    void (*metrics)(struct node *n, FILE *out);     /* see metrics.h */
    void (*stop)(struct node *n);
};

extern const struct role_ops proposer_role, acceptor_role, learner_role,
    client_role;

struct node {
    const struct config *cfg;
    const struct node_info *self;
    struct loop *loop;
    struct httpd *httpd;
    struct httpd *peer_httpd;   /* peer routes' server; NULL: httpd */
    struct httpc *httpc;
    const struct role_ops *ops;
    void *role;                 /* the role's own state */
    struct gossip *gossip;      /* membership, for every role */
    struct metrics *metrics;    /* counts for /metrics */
    struct auth *auth;          /* NULL: the cluster has no secret */
    struct guarded_route *routes;
    size_t n_routes;
    uint64_t unauthorized;      /* requests refused with 401 */
    int64_t started_at;
    uint64_t tick_timer;
    uint64_t bad_requests;      /* answered 4xx */
};

int node_run(const struct config *cfg);


/* Registers a route that only callers of its kind reach (see above). */
int node_route(struct node *n, const char *method, const char *path,
               enum route_kind kind, httpd_handler fn, void *ud);

/* POSTs body (copied) to peer's path, or GETs when body is NULL: a route
 * of the given kind, so a peer route goes to the peer port. Signed when
 * the cluster has a secret, with one more header line when extra_header
 * is not NULL; fn gets the answer. Returns 0, or -1 (logged; fn is then
 * not called). */
int node_request(struct node *n, const struct node_info *peer,
                 enum route_kind kind, const char *path, const char *body,
                 const char *extra_header, long timeout_ms, httpc_done_fn fn,
                 void *ud);
/* A message to a peer route, with the request timeout. */
int node_send(struct node *n, const struct node_info *peer, const char *path,
              const char *body, httpc_done_fn fn, void *ud);
/* An httpc_done_fn for messages whose answer does not matter. */
void node_ignore_answer(void *ud, int status, const char *body, size_t len,
                        const char *err);
/* Sends the same message to every node of a role but this one. */
void node_broadcast(struct node *n, enum role role, const char *path,
                    const char *body, httpc_done_fn fn, void *ud);

/* Parses the request body as a message of type t; on failure replies 400
 * with the reason and returns -1. */
int node_decode(struct node *n, struct http_request *req, enum msg_type t,
                struct msg *m);
/* Reads the query argument name as a number in [min, max] into *out
 * (left as is when absent). On a bad value replies 400 and returns -1. */
int node_query_number(struct node *n, struct http_request *req,
                      const char *name, uint64_t min, uint64_t max,
                      uint64_t *out);
/* Which part of the applied log a read wants: the values from slot from
 * on, at most limit of them; or the last `last` values (0: not asked). */
struct values_query {
    uint64_t from, limit, last;
};
/* Reads ?from=F&limit=L or ?last=N (not both) into q, with defaults (the
 * whole log). On bad input replies 400 and returns -1. */
int node_values_query(struct node *n, struct http_request *req,
                      struct values_query *q);
/* The same query as text for /get-values, after "?wait_for=S". */
void node_values_query_path(const struct values_query *q, char *buf,
                            size_t len);

/* Replies with a JSON object, which it releases. */
void node_reply_json(struct http_request *req, int status,
                     struct json_object *o);
/* Replies with an encoded message. */
void node_reply_msg(struct http_request *req, int status, const struct msg *m);
/* Replies 4xx {"error": ...}, counted as a bad request. */
void node_reply_bad(struct node *n, struct http_request *req, int status,
                    const char *msg);

/* {"round":R,"node":N} */
struct json_object *node_json_ballot(struct ballot b);
/* {"slot":S,"value":...,"client_id":...,"seq":...} or a no-op. */
struct json_object *node_json_value(uint64_t slot, const struct pvalue *v);
/* The node's name for an id ("proposer1"), or "" when unknown. */
const char *node_name(const struct node *n, uint32_t id);

#endif

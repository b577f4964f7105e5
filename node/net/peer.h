/* peer.h -- how a node talks: the routes it answers, with who may call
 * each, the requests it makes to other nodes, and its replies.
 *
 * A peer holds the node's HTTP server (two when peer routes have a port
 * of their own), its HTTP client and the cluster secret. Routes come in
 * tables (struct route), one per part of the node. Requests to a peer
 * route go to the peer port and are signed when the cluster has a secret.
 * Gossip, metrics and every role use it; it knows nothing of them. */
#ifndef PAXOS_PEER_H
#define PAXOS_PEER_H

#include <json-c/json.h>
#include <stdint.h>

#include "core/cluster.h"
#include "core/msg.h"
#include "net/httpc.h"
#include "net/httpd.h"

/* Header set on a write a proposer forwards to the leader, so that a
 * forwarded write is never forwarded again. */
#define PEER_FORWARDED_HEADER "X-Paxos-Forwarded"

/* Who may call a route. Peer routes need the cluster's signature when it
 * has a secret; user routes need the client token (or a peer's
 * signature) when one is set; open routes (health probes, the page's
 * files) answer anyone. */
enum route_kind { ROUTE_OPEN, ROUTE_USER, ROUTE_PEER };

struct route {
    const char *method;         /* "GET", "POST" */
    const char *path;
    enum route_kind kind;
    httpd_handler fn;
};

/* "open", "user", "peer" */
const char *route_kind_name(enum route_kind kind);

struct peer_settings {
    const char *bind;           /* listen address, "" = all */
    uint16_t port;
    uint16_t peer_port_offset;  /* peer routes on port + it; 0: port */
    struct httpd_limits limits;
    const char *secret;         /* "" = peer routes unsigned */
    const char *client_token;   /* "" = user routes open */
    const struct node_info *nodes;  /* the cluster, for broadcasts */
    size_t n_nodes;
    uint32_t self_id;
    long request_timeout_ms;
    size_t max_value;           /* bytes of one value in a message */
};

struct peer;

/* Opens the port(s) and the client. Returns NULL (logged) on failure.
 * The settings' strings and nodes must outlive the peer. */
struct peer *peer_start(struct loop *l, const struct peer_settings *set);
/* Ends the requests in flight first (their callbacks run with status 0),
 * then closes the ports. */
void peer_stop(struct peer *p);
/* Ends the requests in flight only: their callbacks run once more, with
 * status 0 and err "shutting down"; later requests are refused. */
void peer_end_requests(struct peer *p);

/* Registers the routes of a table, each handler called with ud. Returns 0
 * or -1. */
int peer_routes(struct peer *p, const struct route *table, size_t n,
                void *ud);
/* Registers one route (for routes made at run time, such as files). */
int peer_route(struct peer *p, const char *method, const char *path,
               enum route_kind kind, httpd_handler fn, void *ud);
/* Told of every request once answered (see httpd_on_done). */
void peer_on_done(struct peer *p, httpd_done_fn fn, void *ud);

/* POSTs body (copied) to a route of the given kind on node to, or GETs
 * when body is NULL; a peer route goes to the peer port. Signed when the
 * cluster has a secret, with one more header line when extra_header is
 * not NULL; fn gets the answer. Returns 0, or -1 (logged; fn is then not
 * called). */
int peer_request(struct peer *p, const struct node_info *to,
                 enum route_kind kind, const char *path, const char *body,
                 const char *extra_header, long timeout_ms, httpc_done_fn fn,
                 void *ud);
/* A message to a peer route, with the request timeout. */
int peer_send(struct peer *p, const struct node_info *to, const char *path,
              const char *body, httpc_done_fn fn, void *ud);
/* GET path (a peer route) of node to, waiting timeout_ms at most, not
 * the request timeout: for questions that go out in rounds that wait for
 * every answer, where a node that is down (or paused) must not hold a
 * round up. */
int peer_ask(struct peer *p, const struct node_info *to, const char *path,
             long timeout_ms, httpc_done_fn fn, void *ud);
/* How long an acceptor has to say who it is (GET /identity). */
#define PEER_IDENTITY_MS 1000
/* Sends the same message to every node of a role but this one. */
void peer_broadcast(struct peer *p, enum role role, const char *path,
                    const char *body, httpc_done_fn fn, void *ud);
/* An httpc_done_fn for messages whose answer does not matter. */
void peer_ignore_answer(void *ud, int status, const char *body, size_t len,
                        const char *err);

/* Parses the request body as a message of type t; on failure replies 400
 * with the reason and returns -1. */
int peer_decode(struct peer *p, struct http_request *req, enum msg_type t,
                struct msg *m);
/* Reads the query argument name as a number in [min, max] into *out
 * (left as is when absent). On a bad value replies 400 and returns -1. */
int peer_query_number(struct peer *p, struct http_request *req,
                      const char *name, uint64_t min, uint64_t max,
                      uint64_t *out);

/* Which part of the applied log a read wants: the values from slot from
 * on, at most limit of them; or the last `last` values (0: not asked). */
struct values_query {
    uint64_t from, limit, last;
};
/* Reads ?from=F&limit=L or ?last=N (not both) into q, with defaults (the
 * whole log). On bad input replies 400 and returns -1. */
int peer_values_query(struct peer *p, struct http_request *req,
                      struct values_query *q);
/* The same query as text for /get-values, after "?wait_for=S". */
void peer_values_query_path(const struct values_query *q, char *buf,
                            size_t len);

/* Replies with a JSON object, which it releases. */
void peer_reply_json(struct http_request *req, int status,
                     struct json_object *o);
/* Replies with an encoded message. */
void peer_reply_msg(struct http_request *req, int status, const struct msg *m);
/* Replies 4xx {"error": ...}, counted as a bad request. */
void peer_reply_bad(struct peer *p, struct http_request *req, int status,
                    const char *msg);

/* Counts a 4xx reply made some other way (held until a sync, say). */
void peer_count_bad_request(struct peer *p);
/* Requests answered 4xx but for 401 (for /status). */
uint64_t peer_bad_requests(const struct peer *p);

#endif

/* model.h -- paxos-top's picture of the cluster, with no I/O and no
 * drawing: the last /status of every node, what changed between polls
 * (events), the learned log as the learners report it, and the figures
 * the header shows. The poller feeds it; the views and the monitor read
 * it. Everything here is testable on recorded JSON. */
#ifndef PAXOS_TOP_MODEL_H
#define PAXOS_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

#define MODEL_NAME_MAX 32
#define MODEL_ADDR_MAX 280
#define MODEL_TEXT_MAX 128      /* a value as shown: longer ones are cut */
#define MODEL_RECENT 10         /* recent values kept per node */
#define MODEL_HISTORY 120       /* samples behind a sparkline */
#define MODEL_EVENTS 512        /* events kept */

struct endpoint {               /* where a node is polled */
    char name[MODEL_NAME_MAX];
    char host[256];
    uint16_t port;
};

struct member_view {            /* one member as a node sees it */
    uint32_t id;
    char name[MODEL_NAME_MAX];
    char state[8];              /* "alive", "suspect", "dead" */
};

struct value_view {             /* one value as a node reports it */
    uint64_t slot;
    struct ballot ballot;       /* zero when the node did not say */
    bool noop;
    char text[MODEL_TEXT_MAX];
};

struct node_view {
    struct endpoint ep;
    char role[12];              /* "" until the first answer */
    uint32_t id;

    /* polling */
    bool up;                    /* the last poll answered 200 */
    bool ever_up;
    int64_t last_ok_ms;         /* when it last answered (0: never) */
    int64_t latency_ms;         /* of the last answer */
    char error[MODEL_TEXT_MAX]; /* why the last poll failed */

    /* from /status (see docs/api.md) */
    char state[12];             /* proposer: leader, candidate, follower */
    bool is_leader;
    uint32_t leader_id;
    char leader_name[MODEL_NAME_MAX];
    struct ballot ballot;       /* proposer: its own */
    struct ballot promised;     /* proposer: highest seen; acceptor: promise */
    bool has_accepted;          /* acceptor: its last accepted slot */
    struct value_view accepted;
    uint64_t commit, next_slot, applied, max_slot, values_count;
    uint64_t writes_ok, writes_failed, chosen, elections;
    size_t alive, suspect, dead;
    struct member_view *members;
    size_t n_members;
    struct value_view recent[MODEL_RECENT];
    size_t n_recent;
    char *raw;                  /* the last /status text, for the detail view */
};

struct log_entry {              /* one slot of the learned log */
    uint64_t slot;
    struct ballot ballot;
    char text[MODEL_TEXT_MAX];
    uint32_t learners;          /* bit i: the i-th learner (in node order) has it */
    bool noop;                  /* a gap a new leader filled (text "") */
};

struct model_event {
    int64_t at_ms;
    char text[160];
};

struct model {
    struct node_view *nodes;
    size_t n_nodes;

    /* derived by model_tick */
    char leader[MODEL_NAME_MAX];        /* "" when no proposer leads */
    struct ballot leader_ballot;
    uint64_t log_length;                /* highest applied slot of any learner */
    size_t acceptors_up, acceptors_total, quorum;
    bool had_leader, had_quorum;        /* at any tick so far */
    double writes_per_s[MODEL_HISTORY]; /* ring, newest at history_next - 1 */
    double latency_ms[MODEL_HISTORY];   /* mean commit latency per tick */
    size_t history_len, history_next;

    struct model_event events[MODEL_EVENTS];    /* ring */
    size_t n_events, events_next;

    struct log_entry *log;              /* by slot, ascending */
    size_t log_len, log_cap;

    /* private to model.c: the previous tick's figures */
    uint64_t prev_applied;
    int64_t prev_tick_ms;
    double latency_sum;
    size_t latency_count;
};

/* Times (now_ms, at_ms, last_ok_ms) are wall-clock milliseconds since the
 * epoch: the poller passes CLOCK_REALTIME, so events print as times of day. */
int model_init(struct model *m, const struct endpoint *eps, size_t n);
void model_free(struct model *m);

/* An answer to node i's /status poll at now_ms: HTTP status 200 with the
 * body, or status 0 / non-200 with an error text in body. Compares with
 * what the node said before and records events (leader changes, ballot
 * rises, node down / up). A malformed or partial body marks the node down
 * with the reason; it never aborts. */
void model_status(struct model *m, size_t i, int http_status,
                  const char *body, size_t len, int64_t latency_ms,
                  int64_t now_ms);
/* A learner's /get-values answer (node i): merges its values into the
 * learned log and marks which learners hold each slot. */
void model_values(struct model *m, size_t i, const char *body, size_t len);
/* Values asked of a learner per poll, and the slot to ask learner i's
 * /get-values from: after the last slot it reported, or one page before
 * its applied index when it is further ahead (the log shows the newest). */
#define MODEL_VALUES_PAGE 1000
uint64_t model_values_from(const struct model *m, size_t i);
/* The outcome of a write paxos-top made: an event, and its latency in the
 * commit-latency figure. */
void model_write_result(struct model *m, const char *target, const char *value,
                        int http_status, const char *body, int64_t latency_ms,
                        int64_t now_ms);
/* Once per poll round: leader, quorum health, log length, writes/s. */
void model_tick(struct model *m, int64_t now_ms);

/* Records an event (also used for paxos-top's own messages). */
void model_event(struct model *m, int64_t now_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The k-th event, 0 = the oldest kept. */
const struct model_event *model_event_at(const struct model *m, size_t k);

enum model_column {
    COL_NAME, COL_ROLE, COL_ADDRESS, COL_UP, COL_BALLOT, COL_PROMISED,
    COL_ACCEPTED, COL_CHOSEN, COL_APPLIED, COL_MEMBERS, COL_LATENCY,
    COL_COUNT
};
/* Fills order with the indexes of the nodes whose name, role, address or
 * state contain filter (case-insensitive; NULL or "" = all), sorted by
 * column. Returns how many. */
size_t model_rows(const struct model *m, enum model_column sort,
                  bool descending, const char *filter, size_t *order);

/* The node's role: as it answered, or as its name suggests ("acceptor2")
 * before it ever answered; "" when neither says. */
const char *model_node_role(const struct node_view *n);

/* The state member id has in observer's view: "alive", "suspect", "dead",
 * or "" when the observer does not list it. */
const char *model_member_state(const struct node_view *observer, uint32_t id);

#endif

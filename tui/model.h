/* model.h -- paxos-top's picture of the cluster, with no I/O and no
 * drawing: the last /status of every node, what changed between polls
 * (events), the learned log as the learners report it, the acceptor set
 * (the configuration in force, those to come, every acceptor's standing),
 * and the figures the header shows. The poller feeds it; the views and
 * the monitor read it. Everything here is testable on recorded JSON. */
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
#define MODEL_NODES_MAX 256     /* nodes watched, found at start or later */
#define MODEL_ID_MAX 24         /* a member or cluster identity (16 hex) */
#define MODEL_VOTERS 31         /* voters in a configuration (paxosd's most) */
#define MODEL_CONFIGS 4         /* configurations a node knows at once */

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

struct voter_view {             /* one voter of a configuration */
    uint32_t id;
    char name[MODEL_NAME_MAX];
    char member[MODEL_ID_MAX];  /* the member identity that votes */
    char address[2 * MODEL_NAME_MAX];   /* host:port, as it says */
};

struct config_view {            /* a configuration of the acceptor set */
    uint64_t epoch;             /* 0: none */
    uint64_t first_slot;        /* it decides the slots from this one on */
    struct voter_view voters[MODEL_VOTERS];
    size_t n_voters;
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
    char member[MODEL_ID_MAX];  /* acceptor: its member identity */
    char cluster[MODEL_ID_MAX]; /* acceptor: its cluster ("" until known) */
    char admission[12];         /* acceptor: "active", "joining", "waiting",
                                   "new"; "" when it does not say */
    struct config_view configs[MODEL_CONFIGS];  /* the chain it knows */
    size_t n_configs;
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
    size_t acceptors_up, acceptors_total, quorum;   /* of the voters in
                                           force (all acceptors when none
                                           is known): voting, all, needed */
    struct config_view config;          /* in force; epoch 0: none known */
    struct config_view coming[MODEL_CONFIGS];   /* chosen, not yet in force */
    size_t n_coming;
    char config_from[MODEL_NAME_MAX];   /* the node that reported them */
    bool had_leader, had_quorum;        /* at any tick so far */
    double writes_per_s[MODEL_HISTORY]; /* ring, newest at history_next - 1 */
    double latency_ms[MODEL_HISTORY];   /* mean commit latency per tick */
    size_t history_len, history_next;

    struct model_event events[MODEL_EVENTS];    /* ring */
    size_t n_events, events_next;

    struct log_entry *log;              /* by slot, ascending */
    size_t log_len, log_cap;

    /* private to model.c: the room for nodes, the previous tick's figures */
    size_t nodes_cap;
    uint64_t prev_applied;
    int64_t prev_tick_ms;
    double latency_sum;
    size_t latency_count;
};

/* Times (now_ms, at_ms, last_ok_ms) are wall-clock milliseconds since the
 * epoch: the poller passes CLOCK_REALTIME, so events print as times of day. */
int model_init(struct model *m, const struct endpoint *eps, size_t n);
void model_free(struct model *m);
/* Watches one more node (a spare acceptor started later): its index, or
 * -1 when MODEL_NODES_MAX are watched or memory runs out. An event says
 * so. Node indexes stay valid; node_view pointers may not. */
int model_add_node(struct model *m, const struct endpoint *ep, int64_t now_ms);

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
/* Once per poll round: leader, the acceptor set, quorum health, log
 * length, writes/s. */
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
/* Fills order with the indexes of the nodes whose name, role, address,
 * state or reason not to vote ("waiting") contain filter
 * (case-insensitive; NULL or "" = all), sorted by column. Returns how
 * many. */
size_t model_rows(const struct model *m, enum model_column sort,
                  bool descending, const char *filter, size_t *order);

/* The node's role: as it answered, or as its name suggests ("acceptor2")
 * before it ever answered; "" when neither says. */
const char *model_node_role(const struct node_view *n);

/* The state member id has in observer's view: "alive", "suspect", "dead",
 * or "" when the observer does not list it. */
const char *model_member_state(const struct node_view *observer, uint32_t id);

/* ---- the acceptor set ---- */

/* Where an acceptor stands, from its last /status and the configurations
 * model_tick found. */
enum model_standing {
    STANDING_UNKNOWN,   /* not an acceptor, or it never answered */
    STANDING_VOTER,     /* named by the configuration in force; votes */
    STANDING_JOINING,   /* named and admitted; waits for the founders */
    STANDING_RENEWED,   /* named under another member identity: its data
                           directory is new, and it waits to be admitted */
    STANDING_COMING,    /* named only by a configuration still to come */
    STANDING_WAITING,   /* no configuration names it: waits to be admitted */
    STANDING_NEW,       /* still asking the other acceptors who they are */
    STANDING_NOT_VOTER, /* in the cluster, not in the configuration */
};
enum model_standing model_standing(const struct model *m, size_t i);
/* What a standing means, in a sentence ("waiting to be admitted"). */
const char *model_standing_text(enum model_standing s);
/* The same in one word, for a STATE cell ("waiting"); "" for a voter. */
const char *model_standing_word(enum model_standing s);

/* One row of the configuration view: a voter in force, a voter to come,
 * or another acceptor paxos-top watches. */
struct model_acceptor {
    uint32_t id;
    char name[MODEL_NAME_MAX];
    char member[MODEL_ID_MAX];  /* what it says now, else what a
                                   configuration names */
    char address[MODEL_ADDR_MAX];
    int node;                   /* its model index; -1: not watched */
    bool voter;                 /* named by the configuration in force */
    enum model_standing standing;
};
/* The acceptor set, voters in force first (in their order), then those to
 * come, then the other acceptors watched. Returns how many (at most max;
 * MODEL_ACCEPTORS_MAX is room for all). */
#define MODEL_ACCEPTORS_MAX (MODEL_NODES_MAX + MODEL_VOTERS * MODEL_CONFIGS)
size_t model_acceptors(const struct model *m, struct model_acceptor *out,
                       size_t max);
/* The voters' names, ", " between them. */
void model_config_names(const struct config_view *c, char *out, size_t size);
/* What the quorum figures count: "voters" (of the configuration in
 * force) or, when none is known, "acceptors". */
const char *model_quorum_of(const struct model *m);
/* True when the row's acceptor votes now, as far as the polls tell. */
bool model_acceptor_votes(const struct model *m,
                          const struct model_acceptor *a);

/* ---- changes of the acceptor set (POST /voters) ---- */

enum model_change_kind { CHANGE_ADD, CHANGE_REMOVE, CHANGE_REPLACE };

struct model_change {
    enum model_change_kind kind;
    char name[MODEL_NAME_MAX];  /* the acceptor added or removed, or OLD */
    char with[MODEL_NAME_MAX];  /* replace: NEW */
};

/* What the user typed at a change prompt: a name or id ("acceptor4",
 * "11"), or for a replacement "OLD NEW". Returns 0, or -1 with the reason
 * in err. */
int model_change_parse(enum model_change_kind kind, const char *text,
                       struct model_change *out, char *err, size_t errlen);
/* Its body for POST /voters (malloc'd; NULL when out of memory). */
char *model_change_body(const struct model_change *c);
/* "add acceptor4", "remove acceptor2", "replace acceptor1 with acceptor4". */
void model_change_text(const struct model_change *c, char *out, size_t size);
/* The answer to a change sent to target: an event, and the same line
 * into out for the status line. Returns true when the change is in force. */
bool model_change_result(struct model *m, const struct model_change *c,
                         const char *target, int http_status,
                         const char *body, int64_t latency_ms, int64_t now_ms,
                         char *out, size_t size);

#endif

/* client.h -- the client node's rules, with no I/O.
 *
 * Events go in (a write or a read to carry out, an answer from a proposer
 * or a learner, a learner's word that it applied a write, a tick) and come
 * out as state changes plus a list of requests to send and requests to
 * answer (the outbox), which the caller drains after every call.
 *
 * Each write gets an identity (this node's id as text, a sequence number
 * unique across restarts) so that retrying it, after a timeout or a
 * leader change, never applies it twice. A write goes to the proposer
 * believed to lead. After a refusal or a failure the client follows the
 * leader the answer names (at once when it is another proposer, after
 * CLIENT_RETRY_MS when it is the same one), or moves on to the next
 * proposer after CLIENT_RETRY_MS, until the write is chosen, the leader
 * refuses it as wrong (4xx: failed at once), or the request timeout runs
 * out (504, "unknown": it may still be chosen). One attempt waits at most
 * CLIENT_ATTEMPT_ELECTIONS election timeouts (and CLIENT_ATTEMPT_MIN_MS):
 * a leader that stopped without closing its connections (paused, cut
 * off) has been replaced by then, and the write goes to the next one.
 *
 * A retried write can be chosen twice (a first attempt chosen after all,
 * then the retry) and is applied at the first slot; learners apply in
 * slot order, so one that reaches the retry's slot has met the first
 * copy. A retried write therefore waits, within its deadline, for a
 * learner to say where the log holds it; without that word by the
 * deadline it is answered 504 "unknown", never with a slot that may be
 * the second copy's. A write sent once is chosen at most once: its
 * answer is the leader's slot.
 *
 * A read asks the leader for a read index, then a learner for its values
 * once it has applied up to that index; a learner that fails is replaced
 * by the next one after CLIENT_READ_RETRY_MS.
 *
 * The outcomes of the last CLIENT_RESPONSES_KEPT writes are kept, and
 * learners' notifications complete them: which learners applied a write,
 * and that a write that failed or timed out was chosen after all. */
#ifndef PAXOS_CLIENT_H
#define PAXOS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"
#include "core/cluster.h"
#include "core/msg.h"

#define CLIENT_RESPONSES_KEPT 1000
#define CLIENT_MAX_LEARNERS 32      /* learned_by is a 32-bit mask */
#define CLIENT_RETRY_MS 100         /* before asking a proposer again */
#define CLIENT_READ_RETRY_MS 50     /* before asking another learner */
#define CLIENT_ATTEMPT_ELECTIONS 3  /* one attempt's wait, in election
                                       timeouts */
#define CLIENT_ATTEMPT_MIN_MS 1000
#define CLIENT_ERROR_MAX 200        /* bytes of an error kept, with NUL */
#define CLIENT_REASON_MAX 300       /* bytes of a failure's answer */

enum client_op_kind { CLIENT_WRITE, CLIENT_READ };

enum client_op_state {
    CLIENT_OP_SENT,             /* a request is in flight */
    CLIENT_OP_RETRYING,         /* waits until retry_at to try again */
    CLIENT_OP_AWAITING_LEARNER, /* chosen; waits for a learner's word */
    CLIENT_OP_ANSWERED,         /* in the outbox, freed when it is cleared */
};

/* unknown: the write timed out; it may still be chosen, and a learner's
 * notification later says so. */
enum client_outcome { CLIENT_CHOSEN, CLIENT_FAILED, CLIENT_UNKNOWN };

/* A write or a read in progress. */
struct client_op {
    enum client_op_kind kind;
    enum client_op_state state;
    void *token;                /* the caller's request to answer */
    int64_t started, deadline, retry_at;
    int attempts;
    char last_error[CLIENT_ERROR_MAX];
    char reason[CLIENT_REASON_MAX];     /* why it failed */

    /* CLIENT_WRITE */
    uint64_t seq;
    char *value;
    uint64_t chosen_slot;       /* the leader's answer */
    struct ballot chosen_ballot;
    uint32_t chosen_by;
    uint64_t applied_slot;      /* where a learner applied it; 0: unsaid */

    /* CLIENT_READ */
    char *query;                /* which values: the caller's, passed on */
    bool has_index;
    uint64_t index;             /* the slot the learner must reach */
    size_t learner;             /* index in learners[] being asked */
    void *answer;               /* the learner's, handed back to answer */

    struct client_op *next;     /* in the pending list */
};

enum client_out_kind {
    CLIENT_SEND_PROPOSE,        /* op's write to proposer peer */
    CLIENT_SEND_READ_INDEX,     /* to proposer peer: the read index */
    CLIENT_SEND_GET_VALUES,     /* to learner peer: its values (op->query)
                                   once it applied op->index */
    CLIENT_REPLY_CHOSEN,        /* op's write is chosen in slot */
    CLIENT_REPLY_READ,          /* op's read: op->answer, op->index */
    CLIENT_REPLY_FAILED,        /* op failed with status, error */
};

struct client_out {
    enum client_out_kind kind;
    struct client_op *op;       /* SEND_*: to hand back with the answer;
                                   REPLY_*: op->token to answer; op is
                                   freed by client_out_clear() */
    const struct node_info *peer;   /* SEND_* */
    int64_t timeout_ms;         /* SEND_*: how long to wait: the time left
                                   to the deadline, at most one attempt's */
    uint64_t slot;              /* REPLY_CHOSEN */
    int64_t latency_ms;         /* REPLY_CHOSEN */
    int status;                 /* REPLY_FAILED: 504, or the leader's 4xx */
    const char *error;          /* REPLY_FAILED: borrowed from op */
    enum client_outcome outcome;    /* REPLY_FAILED of a write */
};

/* The record of a write's outcome. */
struct client_response {
    uint64_t seq;
    char *value;                /* NULL when out of memory */
    enum client_outcome outcome;
    uint64_t slot;              /* CLIENT_CHOSEN */
    int64_t latency_ms;
    int attempts;
    uint32_t learned_by;        /* bit i: learners[i] applied it */
    char error[CLIENT_ERROR_MAX];   /* not chosen: why */
};

struct client_settings {
    uint32_t id;
    int request_timeout_ms;
    int election_timeout_ms;    /* the proposers' */
    uint64_t first_seq;         /* unique across restarts */
    const struct node_info *nodes;  /* the cluster, borrowed for the
                                       client's life */
    size_t n_nodes;
};

struct client {
    char client_id[16];         /* the writes' identity: id as text */
    int request_timeout_ms;
    int attempt_timeout_ms;     /* one request's wait, at most */
    uint64_t next_seq;
    const struct node_info *proposers[CLUSTER_MAX_NODES];
    size_t n_proposers;
    size_t leader;              /* index in proposers[] believed to lead */
    const struct node_info *learners[CLIENT_MAX_LEARNERS];
    size_t n_learners;          /* the first CLIENT_MAX_LEARNERS */

    struct client_op *pending;  /* not answered yet */
    struct client_response responses[CLIENT_RESPONSES_KEPT];    /* a ring */
    size_t n_responses, next_response;

    struct client_out *out;
    size_t n_out, cap_out;

    /* counters for /status and /metrics */
    uint64_t writes_ok, writes_failed, reads_ok, reads_failed, notifies;
};

/* Returns 0, or -1 when the cluster has no proposer. */
int client_init(struct client *c, const struct client_settings *set);
/* Frees everything; requests still waiting are not answered. */
void client_free(struct client *c);

/* Timers: retries that are due, writes that waited for a learner until
 * their deadline. */
void client_tick(struct client *c, int64_t now);

/* A write of value, which the client takes on success (on failure, the
 * caller keeps it). Returns 0, or -1 when out of memory. */
int client_write(struct client *c, char *value, void *token, int64_t now);

enum client_read_result {
    CLIENT_READ_QUEUED,         /* an answer will come through the outbox */
    CLIENT_READ_NO_LEARNER,     /* the cluster has no learner to read from */
    CLIENT_READ_NO_MEMORY,
};
/* A linearizable read. query (copied) says which values to ask a
 * learner for; the client passes it on without reading it. */
enum client_read_result client_read(struct client *c, const char *query,
                                    void *token, int64_t now);

/* What a proposer or learner answered, when it was not the answer wanted:
 * status (0: no answer), the answer's "error" or why there was no answer
 * (NULL: none), and the leader the answer names, if any. */
struct client_failure {
    int status;
    const char *error;
    bool names_leader;
    uint32_t leader;
};

/* Answers to SEND_* entries, for the op the entry carried. The leader
 * chose op's write in slot at ballot: */
void client_on_chosen(struct client *c, struct client_op *op, uint64_t slot,
                      struct ballot ballot, uint32_t leader, int64_t now);
/* The leader said 200 but its answer could not be read (why). */
void client_on_unreadable(struct client *c, struct client_op *op,
                          const char *why, int64_t now);
void client_on_read_index(struct client *c, struct client_op *op,
                          uint64_t index, int64_t now);
/* The learner's values: answer is handed back in the REPLY_READ. Any
 * other answer is a failure: */
void client_on_values(struct client *c, struct client_op *op, void *answer);
void client_on_failure(struct client *c, struct client_op *op,
                       const struct client_failure *f, int64_t now);
/* The same answer for ops[0..n), sent together: the leader it names (or
 * the next proposer) is followed once, not once per op. */
void client_on_failures(struct client *c, struct client_op **ops, size_t n,
                        const struct client_failure *f, int64_t now);
/* The request could not be sent at all. */
void client_on_send_failed(struct client *c, struct client_op *op,
                           int64_t now);

/* Learner from says it applied this client's writes entries[i].value.seq
 * at entries[i].slot: a write waiting for that word is answered, and the
 * records learn where it is. Returns 0, or -1 when from is not a
 * configured learner. */
int client_on_notify(struct client *c, uint32_t from,
                     const struct msg_entry *entries, size_t n, int64_t now);

/* The record age writes ago (0: the newest), age < c->n_responses. */
const struct client_response *client_response(const struct client *c,
                                              size_t age);
/* The proposer writes go to. */
const struct node_info *client_leader(const struct client *c);
/* Writes not answered yet. */
size_t client_pending_writes(const struct client *c);

/* Empties the outbox and frees the ops it answered. */
void client_out_clear(struct client *c);

#endif

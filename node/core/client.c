/* client.c -- writes with leader following and retries, reads through a
 * read index, and the record of outcomes; see client.h. */
#include "core/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

/* The outbox only grows; running out of memory here would silently drop
 * an answer a user waits for, so it ends the process instead. */
static void client_push(struct client *c, struct client_out o)
{
    if (array_reserve(&c->out, &c->cap_out, c->n_out + 1) < 0)
        abort();
    c->out[c->n_out++] = o;
}

static void client_op_free(struct client_op *op)
{
    free(op->value);
    free(op->query);
    free(op);
}

int client_init(struct client *c, const struct client_settings *set)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->client_id, sizeof(c->client_id), "%u", (unsigned)set->id);
    c->request_timeout_ms = set->request_timeout_ms;
    c->attempt_timeout_ms = CLIENT_ATTEMPT_ELECTIONS * set->election_timeout_ms;
    if (c->attempt_timeout_ms < CLIENT_ATTEMPT_MIN_MS)
        c->attempt_timeout_ms = CLIENT_ATTEMPT_MIN_MS;
    c->next_seq = set->first_seq;
    for (size_t i = 0; i < set->n_nodes; i++) {
        const struct node_info *peer = &set->nodes[i];
        if (peer->role == ROLE_PROPOSER && c->n_proposers < CLUSTER_MAX_NODES)
            c->proposers[c->n_proposers++] = peer;
        else if (peer->role == ROLE_LEARNER &&
                 c->n_learners < CLIENT_MAX_LEARNERS)
            c->learners[c->n_learners++] = peer;
    }
    return c->n_proposers ? 0 : -1;
}

void client_free(struct client *c)
{
    client_out_clear(c);
    while (c->pending) {
        struct client_op *op = c->pending;
        c->pending = op->next;
        client_op_free(op);
    }
    for (size_t i = 0; i < c->n_responses; i++)
        free(c->responses[i].value);
    free(c->out);
    memset(c, 0, sizeof(*c));
}

static void client_unlink(struct client *c, struct client_op *op)
{
    for (struct client_op **pp = &c->pending; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            return;
        }
}

/* Where in the ring the record age writes ago is. */
static size_t client_response_at(const struct client *c, size_t age)
{
    return (c->next_response + CLIENT_RESPONSES_KEPT - 1 - age) %
           CLIENT_RESPONSES_KEPT;
}

static struct client_response *client_find_response(struct client *c,
                                                    uint64_t seq)
{
    for (size_t age = 0; age < c->n_responses; age++) {
        struct client_response *r = &c->responses[client_response_at(c, age)];
        if (r->seq == seq)
            return r;
    }
    return NULL;
}

/* Keeps write op's outcome, forgetting the oldest record when full. */
static void client_record(struct client *c, const struct client_op *op,
                          enum client_outcome outcome, uint64_t slot,
                          int64_t now)
{
    struct client_response *r = &c->responses[c->next_response];

    free(r->value);
    *r = (struct client_response){ .seq = op->seq, .value = strdup(op->value),
                                   .outcome = outcome, .slot = slot,
                                   .latency_ms = now - op->started,
                                   .attempts = op->attempts };
    snprintf(r->error, sizeof(r->error), "%.*s", (int)sizeof(r->error) - 1,
             outcome != CLIENT_CHOSEN ? op->reason : "");   /* its start */
    c->next_response = (c->next_response + 1) % CLIENT_RESPONSES_KEPT;
    if (c->n_responses < CLIENT_RESPONSES_KEPT)
        c->n_responses++;
}

/* Ends op: the outbox answers it and then frees it. */
static void client_answer(struct client *c, struct client_op *op,
                          struct client_out o)
{
    client_unlink(c, op);
    op->state = CLIENT_OP_ANSWERED;
    o.op = op;
    client_push(c, o);
}

/* Answers a chosen write. Its slot is where the log holds it: the one a
 * learner said, else the leader's. */
static void client_answer_chosen(struct client *c, struct client_op *op,
                                 int64_t now)
{
    uint64_t slot = op->applied_slot ? op->applied_slot : op->chosen_slot;

    c->writes_ok++;
    client_record(c, op, CLIENT_CHOSEN, slot, now);
    client_answer(c, op, (struct client_out){
        .kind = CLIENT_REPLY_CHOSEN, .slot = slot,
        .latency_ms = now - op->started });
}

static void client_fail(struct client *c, struct client_op *op, int status,
                        const char *why, int64_t now)
{
    /* A write that timed out may still be chosen. */
    enum client_outcome outcome = status == 504 ? CLIENT_UNKNOWN
                                                : CLIENT_FAILED;

    snprintf(op->reason, sizeof(op->reason), "%s", why);
    if (op->kind == CLIENT_WRITE) {
        c->writes_failed++;
        client_record(c, op, outcome, 0, now);
    } else {
        c->reads_failed++;
    }
    client_answer(c, op, (struct client_out){
        .kind = CLIENT_REPLY_FAILED, .status = status, .error = op->reason,
        .outcome = outcome });
}

/* A retried write was chosen, but no learner said where the log holds
 * it by its deadline: the leader's slot may be a second copy's, so it
 * is not given. 504, "unknown": the write may be in the log (it is, at
 * the leader's slot or before); its record learns the slot from a
 * learner later. */
static void client_unplaced(struct client *c, struct client_op *op,
                            int64_t now)
{
    char why[CLIENT_REASON_MAX];

    snprintf(why, sizeof(why), "chosen at slot %llu after %d attempts, but "
             "no learner said within %d ms where the log applies it (an "
             "earlier attempt may have been chosen before)",
             (unsigned long long)op->chosen_slot, op->attempts,
             c->request_timeout_ms);
    client_fail(c, op, 504, why, now);
}

static void client_give_up(struct client *c, struct client_op *op,
                           int64_t now)
{
    char why[CLIENT_REASON_MAX];

    snprintf(why, sizeof(why), "no answer within %d ms (last error: %s)",
             c->request_timeout_ms, op->last_error);
    client_fail(c, op, 504, why, now);
}

/* Sends op's next request: a read's values once it has an index, else
 * to the proposer believed to lead. */
static void client_attempt(struct client *c, struct client_op *op,
                           int64_t now)
{
    struct client_out o = { .op = op, .timeout_ms = op->deadline - now };

    op->attempts++;
    if (o.timeout_ms < 1) {
        client_give_up(c, op, now);
        return;
    }
    if (o.timeout_ms > c->attempt_timeout_ms)
        o.timeout_ms = c->attempt_timeout_ms;
    op->state = CLIENT_OP_SENT;
    if (op->kind == CLIENT_READ && op->has_index) {
        o.kind = CLIENT_SEND_GET_VALUES;
        o.peer = c->learners[op->learner];
    } else {
        o.kind = op->kind == CLIENT_READ ? CLIENT_SEND_READ_INDEX
                                         : CLIENT_SEND_PROPOSE;
        o.peer = c->proposers[c->leader];
    }
    client_push(c, o);
}

/* Tries again after delay_ms, or gives up when the deadline comes
 * first. */
static void client_retry(struct client *c, struct client_op *op,
                         int64_t delay_ms, int64_t now)
{
    if (now + delay_ms >= op->deadline) {
        client_give_up(c, op, now);
    } else if (delay_ms == 0) {
        client_attempt(c, op, now);
    } else {
        op->state = CLIENT_OP_RETRYING;
        op->retry_at = now + delay_ms;
    }
}

/* After a refusal or a failure: follows the leader the answer names if
 * it is a proposer, else moves on to the next proposer. Returns how long
 * to wait before asking. */
static int64_t client_follow(struct client *c, const struct client_failure *f)
{
    for (size_t i = 0; f->names_leader && i < c->n_proposers; i++)
        if (c->proposers[i]->id == f->leader) {
            int64_t delay = i == c->leader ? CLIENT_RETRY_MS : 0;
            c->leader = i;
            return delay;
        }
    c->leader = (c->leader + 1) % c->n_proposers;
    return CLIENT_RETRY_MS;
}

static struct client_op *client_op_new(struct client *c,
                                       enum client_op_kind kind, void *token,
                                       int64_t now)
{
    struct client_op *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->kind = kind;
    op->token = token;
    op->started = now;
    op->deadline = now + c->request_timeout_ms;
    op->next = c->pending;
    c->pending = op;
    return op;
}

int client_write(struct client *c, char *value, void *token, int64_t now)
{
    struct client_op *op = client_op_new(c, CLIENT_WRITE, token, now);

    if (!op)
        return -1;
    op->value = value;
    op->seq = c->next_seq++;
    client_attempt(c, op, now);
    return 0;
}

enum client_read_result client_read(struct client *c, const char *query,
                                    void *token, int64_t now)
{
    char *copy;
    struct client_op *op;

    if (!c->n_learners)
        return CLIENT_READ_NO_LEARNER;
    if (!(copy = strdup(query)))
        return CLIENT_READ_NO_MEMORY;
    if (!(op = client_op_new(c, CLIENT_READ, token, now))) {
        free(copy);
        return CLIENT_READ_NO_MEMORY;
    }
    op->query = copy;
    client_attempt(c, op, now);
    return CLIENT_READ_QUEUED;
}

void client_on_chosen(struct client *c, struct client_op *op, uint64_t slot,
                      struct ballot ballot, uint32_t leader, int64_t now)
{
    op->chosen_slot = slot;
    op->chosen_ballot = ballot;
    op->chosen_by = leader;
    if (op->attempts > 1 && !op->applied_slot && c->n_learners &&
        op->deadline > now) {
        op->state = CLIENT_OP_AWAITING_LEARNER;
        return;
    }
    client_answer_chosen(c, op, now);
}

void client_on_unreadable(struct client *c, struct client_op *op,
                          const char *why, int64_t now)
{
    snprintf(op->last_error, sizeof(op->last_error),
             "bad answer from the leader: %s", why);
    client_retry(c, op, CLIENT_RETRY_MS, now);
}

void client_on_read_index(struct client *c, struct client_op *op,
                          uint64_t index, int64_t now)
{
    op->index = index;
    op->has_index = true;
    client_attempt(c, op, now);
}

void client_on_values(struct client *c, struct client_op *op, void *answer)
{
    op->answer = answer;
    c->reads_ok++;
    client_answer(c, op, (struct client_out){ .kind = CLIENT_REPLY_READ });
}

void client_on_failures(struct client *c, struct client_op **ops, size_t n,
                        const struct client_failure *f, int64_t now)
{
    int64_t delay = -1;         /* the leader is followed once for all */

    for (size_t i = 0; i < n; i++) {
        struct client_op *op = ops[i];
        snprintf(op->last_error, sizeof(op->last_error), "%d %s", f->status,
                 f->error ? f->error : "");
        if (op->kind == CLIENT_READ && op->has_index) {
            op->learner = (op->learner + 1) % c->n_learners;
            client_retry(c, op, CLIENT_READ_RETRY_MS, now);
        } else if (op->kind == CLIENT_WRITE && f->status >= 400 &&
                   f->status < 500) {
            client_fail(c, op, f->status, op->last_error, now);  /* wrong */
        } else {
            if (delay < 0)
                delay = client_follow(c, f);
            client_retry(c, op, delay, now);
        }
    }
}

void client_on_failure(struct client *c, struct client_op *op,
                       const struct client_failure *f, int64_t now)
{
    client_on_failures(c, &op, 1, f, now);
}

void client_on_send_failed(struct client *c, struct client_op *op,
                           int64_t now)
{
    snprintf(op->last_error, sizeof(op->last_error), "cannot send");
    client_retry(c, op, CLIENT_RETRY_MS, now);
}

void client_tick(struct client *c, int64_t now)
{
    struct client_op *op, *next;

    for (op = c->pending; op; op = next) {
        next = op->next;        /* op may be answered and unlinked */
        if (op->state == CLIENT_OP_RETRYING && now >= op->retry_at)
            client_attempt(c, op, now);
        else if (op->state == CLIENT_OP_AWAITING_LEARNER &&
                 now >= op->deadline)
            client_unplaced(c, op, now);
    }
}

/* A learner applied write seq at slot: a write still in progress learns
 * where the log holds it, and one waiting for that is answered. */
static void client_note_applied(struct client *c, uint64_t seq,
                                uint64_t slot, int64_t now)
{
    struct client_op *op = c->pending;

    while (op && !(op->kind == CLIENT_WRITE && op->seq == seq))
        op = op->next;
    if (!op || op->applied_slot)
        return;
    op->applied_slot = slot;
    if (op->state == CLIENT_OP_AWAITING_LEARNER)
        client_answer_chosen(c, op, now);
}

/* Learner number learner applied write seq at slot: the record says so,
 * and a write that failed or timed out was chosen after all. */
static void client_note_learned(struct client *c, size_t learner,
                                uint64_t seq, uint64_t slot)
{
    struct client_response *r = client_find_response(c, seq);

    if (!r)
        return;
    r->learned_by |= 1u << learner;
    if (r->outcome != CLIENT_CHOSEN) {
        r->outcome = CLIENT_CHOSEN;
        r->slot = slot;
        r->error[0] = '\0';
    }
}

int client_on_notify(struct client *c, uint32_t from,
                     const struct msg_entry *entries, size_t n, int64_t now)
{
    size_t learner = 0;

    while (learner < c->n_learners && c->learners[learner]->id != from)
        learner++;
    if (learner == c->n_learners)
        return -1;
    c->notifies++;
    for (size_t i = 0; i < n; i++) {
        client_note_applied(c, entries[i].value.seq, entries[i].slot, now);
        client_note_learned(c, learner, entries[i].value.seq, entries[i].slot);
    }
    return 0;
}

const struct client_response *client_response(const struct client *c,
                                              size_t age)
{
    return &c->responses[client_response_at(c, age)];
}

const struct node_info *client_leader(const struct client *c)
{
    return c->proposers[c->leader];
}

size_t client_pending_writes(const struct client *c)
{
    size_t writes = 0;

    for (const struct client_op *op = c->pending; op; op = op->next)
        writes += op->kind == CLIENT_WRITE;
    return writes;
}

void client_out_clear(struct client *c)
{
    for (size_t i = 0; i < c->n_out; i++)
        if (c->out[i].kind == CLIENT_REPLY_CHOSEN ||
            c->out[i].kind == CLIENT_REPLY_READ ||
            c->out[i].kind == CLIENT_REPLY_FAILED)
            client_op_free(c->out[i].op);    /* answered: the reply's */
    c->n_out = 0;
}

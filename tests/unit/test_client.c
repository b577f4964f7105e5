/* test_client.c -- the client node's rules: leader following, retries and
 * deadlines, retried writes answered where the log holds them, reads
 * through a read index, and the record of outcomes. The test plays the
 * proposers and learners, and the clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client.h"

#define TIMEOUT 1000
#define FIRST_SEQ 5000
#define START 10000
#define MAX_SEEN 2048

static const struct node_info cluster[] = {
    { 1, ROLE_PROPOSER, "proposer1", "", 0 },
    { 2, ROLE_PROPOSER, "proposer2", "", 0 },
    { 3, ROLE_PROPOSER, "proposer3", "", 0 },
    { 4, ROLE_ACCEPTOR, "acceptor1", "", 0 },
    { 7, ROLE_LEARNER, "learner1", "", 0 },
    { 8, ROLE_LEARNER, "learner2", "", 0 },
    { 42, ROLE_CLIENT, "client1", "", 0 },
};
#define WITHOUT_LEARNERS 4          /* the first nodes: no learner */

/* A request the client sent. */
struct sent {
    enum client_out_kind kind;
    uint32_t peer;
    struct client_op *op;
    int64_t timeout_ms;
    int64_t at;
};

/* An answer the client gave, copied before its op is freed. */
struct reply {
    enum client_out_kind kind;
    void *token;
    int status;
    uint64_t slot;
    char error[CLIENT_REASON_MAX];
    enum client_outcome outcome;
    void *answer;
    uint64_t index, seq;
    int attempts;
    int64_t at;
};

struct sim {
    struct client c;
    int64_t now;
    struct sent sent[MAX_SEEN];
    size_t n_sent;
    struct reply replies[MAX_SEEN];
    size_t n_replies;
};

static int tokens[MAX_SEEN];        /* their addresses stand for requests */

/* A client of the first n_nodes nodes, with the request and election
 * timeouts given. */
static struct sim *sim_new_timed(size_t n_nodes, int request_ms,
                                 int election_ms)
{
    struct sim *s = calloc(1, sizeof(*s));
    struct client_settings set = {
        .id = 42, .request_timeout_ms = request_ms,
        .election_timeout_ms = election_ms, .first_seq = FIRST_SEQ,
        .nodes = cluster, .n_nodes = n_nodes,
    };

    assert_non_null(s);
    assert_int_equal(client_init(&s->c, &set), 0);
    s->now = START;
    return s;
}

static struct sim *sim_new(size_t n_nodes)
{
    return sim_new_timed(n_nodes, TIMEOUT, 0);
}

static struct sim *sim_with_learners(void)
{
    return sim_new(sizeof(cluster) / sizeof(cluster[0]));
}

static void sim_free(struct sim *s)
{
    client_free(&s->c);
    free(s);
}

static void sim_keep_reply(struct sim *s, const struct client_out *o)
{
    struct reply *r = &s->replies[s->n_replies++];

    *r = (struct reply){ .kind = o->kind, .token = o->op->token,
                         .status = o->status, .slot = o->slot,
                         .outcome = o->outcome, .answer = o->op->answer,
                         .index = o->op->index, .seq = o->op->seq,
                         .attempts = o->op->attempts, .at = s->now };
    snprintf(r->error, sizeof(r->error), "%s", o->error ? o->error : "");
}

/* Takes everything out of the outbox, as the node would send it. */
static void sim_drain(struct sim *s)
{
    for (size_t i = 0; i < s->c.n_out; i++) {
        const struct client_out *o = &s->c.out[i];
        assert_true(s->n_sent < MAX_SEEN && s->n_replies < MAX_SEEN);
        if (o->kind == CLIENT_SEND_PROPOSE ||
            o->kind == CLIENT_SEND_READ_INDEX ||
            o->kind == CLIENT_SEND_GET_VALUES)
            s->sent[s->n_sent++] = (struct sent){
                .kind = o->kind, .peer = o->peer->id, .op = o->op,
                .timeout_ms = o->timeout_ms, .at = s->now };
        else
            sim_keep_reply(s, o);
    }
    client_out_clear(&s->c);
}

/* Lets ms pass, ticking every millisecond. */
static void sim_advance(struct sim *s, int64_t ms)
{
    for (int64_t i = 0; i < ms; i++) {
        s->now++;
        client_tick(&s->c, s->now);
        sim_drain(s);
    }
}

static const struct sent *sim_last_sent(const struct sim *s)
{
    assert_true(s->n_sent > 0);
    return &s->sent[s->n_sent - 1];
}

static const struct reply *sim_last_reply(const struct sim *s)
{
    assert_true(s->n_replies > 0);
    return &s->replies[s->n_replies - 1];
}

static struct client_op *sim_write(struct sim *s, int *token)
{
    size_t before = s->n_sent;

    assert_int_equal(client_write(&s->c, strdup("x"), token, s->now), 0);
    sim_drain(s);
    assert_int_equal(s->n_sent, before + 1);
    return sim_last_sent(s)->op;
}

static struct client_op *sim_read(struct sim *s, int *token)
{
    size_t before = s->n_sent;

    assert_int_equal(client_read(&s->c, "&last=5", token, s->now),
                     CLIENT_READ_QUEUED);
    sim_drain(s);
    assert_int_equal(s->n_sent, before + 1);
    return sim_last_sent(s)->op;
}

static void sim_fail(struct sim *s, struct client_op *op, int status,
                     const char *error)
{
    struct client_failure f = { .status = status, .error = error };

    client_on_failure(&s->c, op, &f, s->now);
    sim_drain(s);
}

static void sim_fail_naming(struct sim *s, struct client_op *op,
                            uint32_t leader)
{
    struct client_failure f = { .status = 503, .error = "not the leader",
                                .names_leader = true, .leader = leader };

    client_on_failure(&s->c, op, &f, s->now);
    sim_drain(s);
}

static void sim_chosen(struct sim *s, struct client_op *op, uint64_t slot)
{
    client_on_chosen(&s->c, op, slot, (struct ballot){ 3, 1 },
                     client_leader(&s->c)->id, s->now);
    sim_drain(s);
}

static void sim_notify(struct sim *s, uint32_t learner, uint64_t seq,
                       uint64_t slot)
{
    struct msg_entry e = { .slot = slot, .value = { NULL, NULL, seq } };

    assert_int_equal(client_on_notify(&s->c, learner, &e, 1, s->now), 0);
    sim_drain(s);
}

/* ---- writes ---- */

static void test_writes_carry_the_node_identity(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *a = sim_write(s, &tokens[0]);
    struct client_op *b = sim_write(s, &tokens[1]);

    assert_string_equal(s->c.client_id, "42");
    assert_int_equal(a->seq, FIRST_SEQ);
    assert_int_equal(b->seq, FIRST_SEQ + 1);
    assert_string_equal(a->value, "x");
    assert_int_equal(s->sent[0].kind, CLIENT_SEND_PROPOSE);
    assert_int_equal(s->sent[0].peer, 1);
    assert_int_equal(s->sent[0].timeout_ms, TIMEOUT);
    assert_int_equal(client_pending_writes(&s->c), 2);
    sim_free(s);
}

/* A leader that stopped without closing its connections (paused, cut
 * off) holds a write for three election timeouts at most, not for the
 * whole request timeout: then it goes to the next proposer, and the last
 * attempt waits only what is left. */
static void test_an_attempt_waits_three_election_timeouts(void **state)
{
    struct sim *s = sim_new_timed(sizeof(cluster) / sizeof(cluster[0]),
                                  10000, 1000);
    struct client_op *op = sim_write(s, &tokens[0]);

    assert_int_equal(s->sent[0].peer, 1);
    assert_int_equal(s->sent[0].timeout_ms, 3000);
    s->now += 3000;
    sim_fail(s, op, 0, "Operation timed out after 3000 milliseconds");
    sim_advance(s, CLIENT_RETRY_MS);
    assert_int_equal(sim_last_sent(s)->peer, 2);
    assert_int_equal(sim_last_sent(s)->timeout_ms, 3000);
    s->now += 3000;
    sim_fail(s, op, 0, "Operation timed out after 3000 milliseconds");
    sim_advance(s, CLIENT_RETRY_MS);
    assert_int_equal(sim_last_sent(s)->peer, 3);
    assert_int_equal(sim_last_sent(s)->timeout_ms, 3000);
    s->now += 3000;
    sim_fail(s, op, 0, "Operation timed out after 3000 milliseconds");
    sim_advance(s, CLIENT_RETRY_MS);
    assert_int_equal(sim_last_sent(s)->peer, 1);
    assert_int_equal(sim_last_sent(s)->timeout_ms, 10000 - 9300);
    sim_free(s);

    /* short election timeouts: one second at least */
    s = sim_new_timed(sizeof(cluster) / sizeof(cluster[0]), 10000, 100);
    sim_write(s, &tokens[0]);
    assert_int_equal(s->sent[0].timeout_ms, CLIENT_ATTEMPT_MIN_MS);
    sim_free(s);
}

static void test_first_attempt_write_answered_at_once(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    s->now += 7;
    sim_chosen(s, op, 12);
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_CHOSEN);
    assert_ptr_equal(sim_last_reply(s)->token, &tokens[0]);
    assert_int_equal(sim_last_reply(s)->slot, 12);
    assert_int_equal(sim_last_reply(s)->attempts, 1);
    assert_int_equal(s->c.writes_ok, 1);
    assert_int_equal(client_pending_writes(&s->c), 0);
    assert_int_equal(client_response(&s->c, 0)->outcome, CLIENT_CHOSEN);
    assert_int_equal(client_response(&s->c, 0)->slot, 12);
    assert_int_equal(client_response(&s->c, 0)->latency_ms, 7);
    assert_string_equal(client_response(&s->c, 0)->value, "x");
    sim_free(s);
}

static void test_named_leader_is_followed_at_once(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    sim_fail_naming(s, op, 3);
    assert_int_equal(s->n_sent, 2);
    assert_int_equal(sim_last_sent(s)->peer, 3);
    assert_int_equal(sim_last_sent(s)->at, START);
    assert_int_equal(client_leader(&s->c)->id, 3);
    sim_write(s, &tokens[1]);           /* later writes go there too */
    assert_int_equal(sim_last_sent(s)->peer, 3);
    sim_free(s);
}

static void test_same_leader_named_waits_100ms(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    sim_fail_naming(s, op, 1);
    sim_advance(s, 99);
    assert_int_equal(s->n_sent, 1);
    sim_advance(s, 1);
    assert_int_equal(s->n_sent, 2);
    assert_int_equal(sim_last_sent(s)->peer, 1);
    assert_int_equal(sim_last_sent(s)->timeout_ms, TIMEOUT - 100);
    sim_free(s);
}

static void test_no_leader_named_moves_to_next_proposer(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    sim_fail(s, op, 0, "Connection refused");
    sim_advance(s, 99);
    assert_int_equal(s->n_sent, 1);
    sim_advance(s, 1);
    assert_int_equal(sim_last_sent(s)->peer, 2);
    sim_fail_naming(s, op, 4);          /* an acceptor: not a proposer */
    assert_int_equal(s->n_sent, 2);
    sim_advance(s, 100);
    assert_int_equal(sim_last_sent(s)->peer, 3);
    sim_fail(s, op, 503, "no leader elected yet");
    sim_advance(s, 100);
    assert_int_equal(sim_last_sent(s)->peer, 1);    /* round again */
    sim_free(s);
}

/* Writes sent together and failed together (a batch with no answer)
 * move on to the next proposer once, together: not one proposer further
 * for each write of the batch. */
static void test_batch_failure_follows_the_leader_once(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *ops[3];
    struct client_failure f = { .status = 0, .error = "Timeout was reached" };

    for (size_t i = 0; i < 3; i++)
        ops[i] = sim_write(s, &tokens[i]);
    client_on_failures(&s->c, ops, 3, &f, s->now);
    sim_drain(s);
    sim_advance(s, 100);
    assert_int_equal(s->n_sent, 6);
    for (size_t i = 3; i < 6; i++)
        assert_int_equal(s->sent[i].peer, 2);
    assert_int_equal(client_leader(&s->c)->id, 2);
    sim_free(s);
}

static void test_deadline_gives_504_with_last_error(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    while (!s->n_replies) {
        size_t sent = s->n_sent;
        sim_fail(s, op, 503, "no leader elected yet");
        while (s->n_sent == sent && !s->n_replies)
            sim_advance(s, 1);
    }
    assert_int_equal(s->n_sent, 10);    /* every 100 ms */
    assert_int_equal(sim_last_reply(s)->at, START + 900);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_FAILED);
    assert_int_equal(sim_last_reply(s)->status, 504);
    assert_int_equal(sim_last_reply(s)->outcome, CLIENT_UNKNOWN);
    assert_string_equal(sim_last_reply(s)->error,
                        "no answer within 1000 ms "
                        "(last error: 503 no leader elected yet)");
    assert_int_equal(s->c.writes_failed, 1);
    assert_int_equal(client_response(&s->c, 0)->outcome, CLIENT_UNKNOWN);
    assert_string_equal(client_response(&s->c, 0)->error,
                        sim_last_reply(s)->error);
    assert_int_equal(client_response(&s->c, 0)->attempts, 10);
    sim_free(s);
}

static void test_4xx_from_the_leader_fails_at_once(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    sim_fail(s, op, 413, "value too large");
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->status, 413);
    assert_int_equal(sim_last_reply(s)->outcome, CLIENT_FAILED);
    assert_string_equal(sim_last_reply(s)->error, "413 value too large");
    assert_int_equal(client_response(&s->c, 0)->outcome, CLIENT_FAILED);
    sim_advance(s, 2 * TIMEOUT);
    assert_int_equal(s->n_sent, 1);
    sim_free(s);
}

static void test_unsendable_request_is_tried_again(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    client_on_send_failed(&s->c, op, s->now);
    sim_drain(s);
    sim_advance(s, 100);
    assert_int_equal(s->n_sent, 2);
    assert_int_equal(sim_last_sent(s)->peer, 1);
    assert_string_equal(op->last_error, "cannot send");
    sim_free(s);
}

static void test_unreadable_answer_asks_the_same_leader(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    client_on_unreadable(&s->c, op, "field 'slot' is missing", s->now);
    sim_drain(s);
    sim_advance(s, 100);
    assert_int_equal(s->n_sent, 2);
    assert_int_equal(sim_last_sent(s)->peer, 1);
    assert_string_equal(op->last_error,
                        "bad answer from the leader: field 'slot' is missing");
    sim_free(s);
}

static void test_retry_due_after_the_deadline_gives_up(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);

    sim_fail(s, op, 0, "Connection refused");
    s->now += TIMEOUT;                  /* the tick comes late */
    client_tick(&s->c, s->now);
    sim_drain(s);
    assert_int_equal(s->n_sent, 1);
    assert_int_equal(sim_last_reply(s)->status, 504);
    assert_int_equal(sim_last_reply(s)->attempts, 2);
    sim_free(s);
}

/* A write whose first attempt failed, now in its second attempt. */
static struct client_op *sim_retried_write(struct sim *s, int *token)
{
    struct client_op *op = sim_write(s, token);

    sim_fail(s, op, 0, "Timeout was reached");
    sim_advance(s, 100);
    assert_int_equal(op->attempts, 2);
    return op;
}

static void test_retried_write_answered_with_learner_slot(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_retried_write(s, &tokens[0]);

    sim_chosen(s, op, 20);
    sim_advance(s, 50);
    assert_int_equal(s->n_replies, 0);      /* waits for a learner */
    sim_notify(s, 8, FIRST_SEQ, 12);
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_CHOSEN);
    assert_int_equal(sim_last_reply(s)->slot, 12);
    assert_int_equal(client_response(&s->c, 0)->slot, 12);
    assert_int_equal(client_response(&s->c, 0)->learned_by, 1u << 1);
    sim_free(s);
}

static void test_notify_before_the_leader_answers(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_retried_write(s, &tokens[0]);

    sim_notify(s, 7, FIRST_SEQ, 12);
    sim_notify(s, 8, FIRST_SEQ, 25);     /* the first word stays */
    assert_int_equal(s->n_replies, 0);
    sim_chosen(s, op, 20);
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->slot, 12);
    sim_free(s);
}

/* The leader's slot may be a second copy's: without a learner's word by
 * the deadline, the answer is 504 "unknown" and names no slot as the
 * write's; the record learns it from a later word. */
static void test_retried_write_without_word_is_unknown(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_retried_write(s, &tokens[0]);
    const struct client_response *r;

    sim_chosen(s, op, 20);
    sim_advance(s, TIMEOUT - 100 - 1);
    assert_int_equal(s->n_replies, 0);
    sim_advance(s, 1);
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->at, START + TIMEOUT);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_FAILED);
    assert_int_equal(sim_last_reply(s)->status, 504);
    assert_int_equal(sim_last_reply(s)->outcome, CLIENT_UNKNOWN);
    assert_non_null(strstr(sim_last_reply(s)->error, "chosen at slot 20"));
    r = client_response(&s->c, 0);
    assert_int_equal(r->outcome, CLIENT_UNKNOWN);
    sim_notify(s, 8, FIRST_SEQ, 12);      /* the first copy */
    assert_int_equal(r->outcome, CLIENT_CHOSEN);
    assert_int_equal(r->slot, 12);
    sim_free(s);
}

static void test_retried_write_without_learners_answered_at_once(void **state)
{
    struct sim *s = sim_new(WITHOUT_LEARNERS);
    struct client_op *op = sim_retried_write(s, &tokens[0]);

    sim_chosen(s, op, 20);
    assert_int_equal(s->n_replies, 1);
    assert_int_equal(sim_last_reply(s)->slot, 20);
    sim_free(s);
}

/* ---- reads ---- */

static void test_read_asks_the_leader_then_a_learner(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_read(s, &tokens[0]);
    int answer;

    assert_int_equal(sim_last_sent(s)->kind, CLIENT_SEND_READ_INDEX);
    assert_int_equal(sim_last_sent(s)->peer, 1);
    client_on_read_index(&s->c, op, 15, s->now);
    sim_drain(s);
    assert_int_equal(sim_last_sent(s)->kind, CLIENT_SEND_GET_VALUES);
    assert_int_equal(sim_last_sent(s)->peer, 7);
    assert_int_equal(op->index, 15);
    assert_string_equal(op->query, "&last=5");
    client_on_values(&s->c, op, &answer);
    sim_drain(s);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_READ);
    assert_ptr_equal(sim_last_reply(s)->token, &tokens[0]);
    assert_ptr_equal(sim_last_reply(s)->answer, &answer);
    assert_int_equal(sim_last_reply(s)->index, 15);
    assert_int_equal(s->c.reads_ok, 1);
    assert_int_equal(s->c.n_responses, 0);      /* writes only */
    sim_free(s);
}

static void test_failing_learner_rotates(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_read(s, &tokens[0]);

    client_on_read_index(&s->c, op, 15, s->now);
    sim_drain(s);
    sim_fail(s, op, 0, "Connection refused");
    sim_advance(s, 49);
    assert_int_equal(s->n_sent, 2);
    sim_advance(s, 1);
    assert_int_equal(sim_last_sent(s)->kind, CLIENT_SEND_GET_VALUES);
    assert_int_equal(sim_last_sent(s)->peer, 8);
    sim_fail(s, op, 500, "disk full");
    sim_advance(s, 50);
    assert_int_equal(sim_last_sent(s)->peer, 7);
    assert_int_equal(client_leader(&s->c)->id, 1);  /* the leader stays */
    sim_free(s);
}

static void test_read_index_follows_the_leader(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_read(s, &tokens[0]);

    sim_fail(s, op, 400, "not JSON");       /* only writes fail on 4xx */
    assert_int_equal(s->n_replies, 0);
    sim_advance(s, 100);
    assert_int_equal(sim_last_sent(s)->kind, CLIENT_SEND_READ_INDEX);
    assert_int_equal(sim_last_sent(s)->peer, 2);
    sim_fail_naming(s, op, 3);
    assert_int_equal(sim_last_sent(s)->peer, 3);
    assert_int_equal(sim_last_sent(s)->at, START + 100);
    sim_free(s);
}

static void test_read_gives_up_at_the_deadline(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_read(s, &tokens[0]);

    s->now += TIMEOUT - 10;
    sim_fail(s, op, 0, "Timeout was reached");
    assert_int_equal(sim_last_reply(s)->status, 504);
    assert_string_equal(sim_last_reply(s)->error,
                        "no answer within 1000 ms "
                        "(last error: 0 Timeout was reached)");
    assert_int_equal(s->c.reads_failed, 1);
    sim_free(s);
}

static void test_read_index_after_the_deadline_ends_the_read(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_read(s, &tokens[0]);

    s->now += TIMEOUT;
    client_on_read_index(&s->c, op, 15, s->now);
    sim_drain(s);
    assert_int_equal(s->n_sent, 1);
    assert_int_equal(sim_last_reply(s)->kind, CLIENT_REPLY_FAILED);
    assert_int_equal(sim_last_reply(s)->status, 504);
    sim_free(s);
}

static void test_read_needs_a_learner(void **state)
{
    struct sim *s = sim_new(WITHOUT_LEARNERS);

    assert_int_equal(client_read(&s->c, "", &tokens[0], s->now),
                     CLIENT_READ_NO_LEARNER);
    assert_int_equal(s->c.n_out, 0);
    sim_free(s);
}

/* ---- the record of outcomes ---- */

static void test_notify_flips_an_unknown_write_to_chosen(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);
    const struct client_response *r;

    s->now += TIMEOUT;
    sim_fail(s, op, 0, "Timeout was reached");
    r = client_response(&s->c, 0);
    assert_int_equal(r->outcome, CLIENT_UNKNOWN);
    sim_notify(s, 8, FIRST_SEQ, 30);
    assert_int_equal(r->outcome, CLIENT_CHOSEN);
    assert_int_equal(r->slot, 30);
    assert_string_equal(r->error, "");
    assert_int_equal(r->learned_by, 1u << 1);
    sim_notify(s, 7, FIRST_SEQ, 31);      /* the first word stays */
    assert_int_equal(r->slot, 30);
    assert_int_equal(r->learned_by, 1u << 1 | 1u << 0);
    assert_int_equal(s->c.notifies, 2);
    sim_free(s);
}

static void test_notify_from_a_non_learner_is_refused(void **state)
{
    struct sim *s = sim_with_learners();
    struct client_op *op = sim_write(s, &tokens[0]);
    struct msg_entry e = { .slot = 3,
                           .value = { (char *)"x", (char *)"42", FIRST_SEQ } };

    sim_chosen(s, op, 3);
    assert_int_equal(client_on_notify(&s->c, 1, &e, 1, s->now), -1);
    assert_int_equal(s->c.notifies, 0);
    assert_int_equal(client_response(&s->c, 0)->learned_by, 0);
    sim_free(s);
}

static void test_records_keep_the_last_writes(void **state)
{
    struct sim *s = sim_with_learners();

    for (int i = 0; i < CLIENT_RESPONSES_KEPT + 1; i++) {
        struct client_op *op = sim_write(s, &tokens[0]);
        sim_chosen(s, op, (uint64_t)i + 1);
    }
    assert_int_equal(s->c.n_responses, CLIENT_RESPONSES_KEPT);
    assert_int_equal(client_response(&s->c, 0)->seq,
                     FIRST_SEQ + CLIENT_RESPONSES_KEPT);
    assert_int_equal(client_response(&s->c, CLIENT_RESPONSES_KEPT - 1)->seq,
                     FIRST_SEQ + 1);
    sim_notify(s, 7, FIRST_SEQ, 1);       /* forgotten: no record */
    assert_int_equal(client_response(&s->c, CLIENT_RESPONSES_KEPT - 1)
                         ->learned_by, 0);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writes_carry_the_node_identity),
        cmocka_unit_test(test_an_attempt_waits_three_election_timeouts),
        cmocka_unit_test(test_first_attempt_write_answered_at_once),
        cmocka_unit_test(test_named_leader_is_followed_at_once),
        cmocka_unit_test(test_same_leader_named_waits_100ms),
        cmocka_unit_test(test_no_leader_named_moves_to_next_proposer),
        cmocka_unit_test(test_batch_failure_follows_the_leader_once),
        cmocka_unit_test(test_deadline_gives_504_with_last_error),
        cmocka_unit_test(test_4xx_from_the_leader_fails_at_once),
        cmocka_unit_test(test_unsendable_request_is_tried_again),
        cmocka_unit_test(test_unreadable_answer_asks_the_same_leader),
        cmocka_unit_test(test_retry_due_after_the_deadline_gives_up),
        cmocka_unit_test(test_retried_write_answered_with_learner_slot),
        cmocka_unit_test(test_notify_before_the_leader_answers),
        cmocka_unit_test(test_retried_write_without_word_is_unknown),
        cmocka_unit_test(test_retried_write_without_learners_answered_at_once),
        cmocka_unit_test(test_read_asks_the_leader_then_a_learner),
        cmocka_unit_test(test_failing_learner_rotates),
        cmocka_unit_test(test_read_index_follows_the_leader),
        cmocka_unit_test(test_read_gives_up_at_the_deadline),
        cmocka_unit_test(test_read_index_after_the_deadline_ends_the_read),
        cmocka_unit_test(test_read_needs_a_learner),
        cmocka_unit_test(test_notify_flips_an_unknown_write_to_chosen),
        cmocka_unit_test(test_notify_from_a_non_learner_is_refused),
        cmocka_unit_test(test_records_keep_the_last_writes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

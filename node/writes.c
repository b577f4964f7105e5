/* writes.c -- POST /writes on proposers: the writes a client node gathered
 * in one loop turn, proposed together and answered together, once each is
 * chosen or failed (one request and one answer for the lot, where /propose
 * takes one each).
 *
 * A proposer that does not lead refuses the batch (503, naming the leader
 * it knows): the client node sends it there itself. Each write of the
 * batch is a token of the proposer core; such tokens are told apart from
 * /propose's (HTTP requests) by their lowest bit, which the alignment of
 * a write's record leaves free. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net/codec.h"
#include "role_proposer.h"

struct writes_batch;

/* One write of a batch; a pointer to it, tagged, is its token. */
struct writes_item {
    struct writes_batch *batch;
    size_t index;
};

struct writes_batch {
    struct http_request *req;
    uint32_t from;              /* this proposer's id, in the answer */
    size_t n, answered;
    struct writes_item *items;
    struct msg_result *results;
};

bool writes_is_token(const void *token)
{
    return (uintptr_t)token & 1u;
}

static void *writes_token(struct writes_item *item)
{
    return (void *)((uintptr_t)item | 1u);
}

static struct writes_item *writes_item_of(void *token)
{
    return (struct writes_item *)((uintptr_t)token & ~(uintptr_t)1u);
}

static void writes_batch_free(struct writes_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->results[i].error);
    free(b->results);
    free(b->items);
    free(b);
}

/* One more write of the batch is settled: answers once all are. */
static void writes_settled(struct writes_batch *b)
{
    struct msg m = { .type = MSG_WRITTEN, .from = b->from,
                     .results = b->results, .n_results = b->n };

    if (++b->answered < b->n)
        return;
    peer_reply_msg(b->req, 200, &m);
    writes_batch_free(b);
}

void writes_chosen(void *token, uint64_t slot, struct ballot ballot)
{
    struct writes_item *item = writes_item_of(token);
    struct msg_result *r = &item->batch->results[item->index];

    r->slot = slot;
    r->ballot = ballot;
    writes_settled(item->batch);
}

void writes_failed(void *token, int status, const char *why)
{
    struct writes_item *item = writes_item_of(token);
    struct msg_result *r = &item->batch->results[item->index];

    r->status = status;
    r->error = strdup(why);
    writes_settled(item->batch);
}

static struct writes_batch *writes_batch_new(struct http_request *req,
                                             uint32_t from, size_t n)
{
    struct writes_batch *b = calloc(1, sizeof(*b));

    if (!b || !(b->items = calloc(n, sizeof(*b->items))) ||
        !(b->results = calloc(n, sizeof(*b->results)))) {
        if (b)
            free(b->items);
        free(b);
        return NULL;
    }
    b->req = req;
    b->from = from;
    b->n = n;
    for (size_t i = 0; i < n; i++)
        b->items[i] = (struct writes_item){ b, i };
    return b;
}

void writes_on_post(struct http_request *req, void *ud)
{
    struct node *n = ud;
    struct proposer_node *pn = n->role;
    struct writes_batch *b;
    struct msg m;

    if (peer_decode(n->peer, req, MSG_WRITES, &m) < 0)
        return;
    if (pn->p.state != PROPOSER_LEADER) {
        proposer_reply_refused(n, req, 503, "not the leader");
        goto out;
    }
    if (!m.n_entries) {
        peer_reply_bad(n->peer, req, 400, "no writes");
        goto out;
    }
    if (!(b = writes_batch_new(req, n->cfg->id, m.n_entries))) {
        httpd_reply_error(req, 503, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m.n_entries; i++) {
        void *token = writes_token(&b->items[i]);
        switch (proposer_submit(&pn->p, &m.entries[i].value, token,
                                loop_now_ms())) {
        case PROPOSER_QUEUED:
            break;
        case PROPOSER_NOT_LEADER:   /* it led when the batch came */
        case PROPOSER_BUSY:
            writes_failed(token, 503, "too many writes waiting");
            break;
        case PROPOSER_NO_MEMORY:
            writes_failed(token, 503, "out of memory");
            break;
        }
    }
    proposer_drain(n);          /* an answer may borrow m's values */
out:
    msg_free(&m);
}

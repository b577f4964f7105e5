/* fuzz_codec.c -- libFuzzer harness for msg_decode (net/codec.c), every
 * message type.
 *
 * Input: the first byte selects the message type (modulo the number of
 * types), the rest is the JSON text. Checks, beyond "no crash, no leak":
 *  - a rejected text leaves the message empty and gives a reason;
 *  - an accepted one keeps the decoder's promises (entry slots >= 1,
 *    numbers within the JSON integer range the decoder allows, strings
 *    within max_value bytes and without NUL inside, member and cluster
 *    identities of 16 lowercase hex digits or empty, configurations with
 *    an epoch, a first slot and 1 to VOTERS_MAX voters of distinct ids,
 *    chains of 1 to VOTERS_CHAIN_MAX of them, each after the one before:
 *    a higher epoch and a later first slot);
 *  - round trip: encoding the decoded message and decoding that again
 *    gives an equal message, and encoding the second one gives the same
 *    text as the first encoding (the encoded form is canonical). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/codec.h"

#define N_TYPES (MSG_LEARNED + 1)
#define MAX_VALUE 256           /* small, so the size limit is reachable */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_codec: %s\n  text: %.400s\n", what, text ? text : "");
    abort();
}

static int str_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcmp(a, b);
}

static bool value_equal(const struct pvalue *a, const struct pvalue *b)
{
    return str_cmp(a->data, b->data) == 0 && str_cmp(a->client, b->client) == 0 &&
           a->seq == b->seq;
}

static bool node_equal(const struct node_info *a, const struct node_info *b)
{
    return a->id == b->id && a->port == b->port &&
           strcmp(a->name, b->name) == 0 && strcmp(a->host, b->host) == 0;
}

static bool voters_equal(const struct voters *a, const struct voters *b)
{
    if (!a || !b)
        return a == b;
    if (a->epoch != b->epoch || a->first_slot != b->first_slot || a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!node_equal(&a->v[i].node, &b->v[i].node) ||
            strcmp(a->v[i].member, b->v[i].member) != 0)
            return false;
    return true;
}

static bool chain_equal(const struct voters_chain *a,
                        const struct voters_chain *b)
{
    if (!a || !b)
        return a == b;
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!voters_equal(&a->c[i], &b->c[i]))
            return false;
    return true;
}

static bool msg_equal(const struct msg *a, const struct msg *b)
{
    if (a->type != b->type || a->from != b->from || a->ok != b->ok ||
        ballot_cmp(a->ballot, b->ballot) != 0 || a->from_slot != b->from_slot ||
        a->upto != b->upto || a->commit != b->commit || a->slot != b->slot ||
        a->trimmed != b->trimmed || a->active != b->active ||
        strcmp(a->member, b->member) != 0 || strcmp(a->cluster, b->cluster) != 0 ||
        !chain_equal(a->chain, b->chain) ||
        !voters_equal(a->founding, b->founding) ||
        !value_equal(&a->value, &b->value) || a->n_entries != b->n_entries)
        return false;
    for (size_t i = 0; i < a->n_entries; i++) {
        const struct msg_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->slot != y->slot || ballot_cmp(x->ballot, y->ballot) != 0 ||
            !value_equal(&x->value, &y->value))
            return false;
    }
    return true;
}

/* "" or exactly len lowercase hex digits. */
static bool is_id_or_empty(const char *s, size_t len)
{
    size_t n = strspn(s, "0123456789abcdef");

    return !s[0] || (n == len && !s[n]);
}

static void check_voters(const struct voters *v, const char *text)
{
    if (!v)
        return;
    if (v->epoch < 1 || v->epoch > INT64_MAX || v->first_slot < 1 ||
        v->first_slot > INT64_MAX)
        fail("a configuration without an epoch or a first slot", text);
    if (v->n < 1 || v->n > VOTERS_MAX)
        fail("a configuration with no voters or too many", text);
    for (size_t i = 0; i < v->n; i++) {
        if (!v->v[i].member[0] || !is_id_or_empty(v->v[i].member, MEMBER_ID_LEN))
            fail("a voter without a valid member identity", text);
        if (voters_find_node(v, v->v[i].node.id) != (int)i)
            fail("a configuration names a node twice", text);
    }
}

static void check_chain(const struct voters_chain *ch, const char *text)
{
    if (!ch)
        return;
    if (ch->n < 1 || ch->n > VOTERS_CHAIN_MAX)
        fail("a chain with no configuration or too many", text);
    for (size_t i = 0; i < ch->n; i++) {
        check_voters(&ch->c[i], text);
        if (i && (ch->c[i].epoch <= ch->c[i - 1].epoch ||
                  ch->c[i].first_slot <= ch->c[i - 1].first_slot))
            fail("a chain out of order", text);
    }
}

static void check_value(const struct pvalue *v, const char *text)
{
    if (!v->data) {
        if (v->client || v->seq)
            fail("a no-op carries a writer", text);
        return;
    }
    if (strlen(v->data) > MAX_VALUE)
        fail("a value is over max_value", text);
    if (v->seq > INT64_MAX)
        fail("seq out of range", text);
}

static void check_decoded(const struct msg *m, const char *text)
{
    if (m->commit > INT64_MAX || m->from_slot > INT64_MAX || m->upto > INT64_MAX ||
        m->slot > INT64_MAX)
        fail("a number out of range", text);
    if ((m->entries == NULL) != (m->n_entries == 0))
        fail("entries and n_entries disagree", text);
    check_value(&m->value, text);
    if (!is_id_or_empty(m->member, MEMBER_ID_LEN) ||
        !is_id_or_empty(m->cluster, CLUSTER_ID_LEN))
        fail("a member or cluster identity that is not 16 hex digits", text);
    check_chain(m->chain, text);
    check_voters(m->founding, text);
    for (size_t i = 0; i < m->n_entries; i++) {
        if (m->entries[i].slot < 1 || m->entries[i].slot > INT64_MAX)
            fail("an entry slot out of 1..INT64_MAX", text);
        if ((m->entries[i].value.data == NULL) != (m->entries[i].value.client == NULL))
            fail("an entry's value and writer disagree", text);
        if (m->type != MSG_NOTIFY)
            check_value(&m->entries[i].value, text);
        else if (m->entries[i].value.data || m->entries[i].value.seq > INT64_MAX)
            fail("a notified write is more than a slot and a seq", text);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct msg first, second;
    char err[256] = "";
    const char *text;
    char *enc1, *enc2;

    if (size < 1)
        return 0;
    enum msg_type type = (enum msg_type)(data[0] % N_TYPES);
    text = (const char *)data + 1;
    if (msg_decode(type, text, size - 1, MAX_VALUE, &first, err, sizeof err) != 0) {
        if (first.entries || first.n_entries || first.value.data || first.value.client ||
            first.chain || first.founding)
            fail("a rejected message is not empty", NULL);
        if (!err[0])
            fail("a rejection without a reason", NULL);
        return 0;
    }
    if (first.type != type)
        fail("decoded type differs", NULL);

    enc1 = msg_encode(&first);
    if (!enc1)
        fail("encode failed", NULL);
    check_decoded(&first, enc1);
    if (msg_decode(type, enc1, strlen(enc1), MAX_VALUE, &second, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_codec: reason: %s\n", err);
        fail("the encoded message does not decode", enc1);
    }
    if (!msg_equal(&first, &second))
        fail("round trip changed the message", enc1);
    enc2 = msg_encode(&second);
    if (!enc2 || strcmp(enc1, enc2) != 0)
        fail("encoding is not canonical", enc1);

    free(enc2);
    free(enc1);
    msg_free(&second);
    msg_free(&first);
    return 0;
}

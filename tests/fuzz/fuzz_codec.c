/* fuzz_codec.c -- libFuzzer harness for msg_decode (common/codec.c), every
 * message type.
 *
 * Input: the first byte selects the message type (modulo the number of
 * types), the rest is the JSON text. Checks, beyond "no crash, no leak":
 *  - a rejected text leaves the message empty and gives a reason;
 *  - an accepted one keeps the decoder's promises (entry slots >= 1,
 *    numbers within the JSON integer range the decoder allows, strings
 *    within max_value bytes and without NUL inside);
 *  - round trip: encoding the decoded message and decoding that again
 *    gives an equal message, and encoding the second one gives the same
 *    text as the first encoding (the encoded form is canonical). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/codec.h"

#define N_TYPES (MSG_CHOSEN + 1)
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

static bool msg_equal(const struct msg *a, const struct msg *b)
{
    if (a->type != b->type || a->from != b->from || a->ok != b->ok ||
        ballot_cmp(a->ballot, b->ballot) != 0 || a->from_slot != b->from_slot ||
        a->upto != b->upto || a->commit != b->commit || a->slot != b->slot ||
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
    for (size_t i = 0; i < m->n_entries; i++) {
        if (m->entries[i].slot < 1 || m->entries[i].slot > INT64_MAX)
            fail("an entry slot out of 1..INT64_MAX", text);
        if ((m->entries[i].value.data == NULL) != (m->entries[i].value.client == NULL))
            fail("an entry's value and writer disagree", text);
        check_value(&m->entries[i].value, text);
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
        if (first.entries || first.n_entries || first.value.data || first.value.client)
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

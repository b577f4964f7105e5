/* fuzz_gossip.c -- libFuzzer harness for gossip_decode (node/gossip_msg.c).
 *
 * Input: the JSON text of a gossip message. Checks, beyond "no crash, no
 * leak":
 *  - a rejected text leaves the message empty and gives a reason;
 *  - an accepted one keeps the decoder's promises (a known type; every
 *    member with a non-zero id, a name and a host that fit, NUL-terminated,
 *    a known role and state, a port in 1..65535);
 *  - round trip: encoding the decoded message and decoding that again
 *    gives an equal message, and encoding the second one gives the same
 *    text as the first encoding. A leader id of 0 means "no hint", so the
 *    ballot of a leader 0 carries no meaning and is not compared. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gossip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_gossip: %s\n  text: %.400s\n", what, text ? text : "");
    abort();
}

static bool member_equal(const struct member_update *a, const struct member_update *b)
{
    return a->info.id == b->info.id && a->info.role == b->info.role &&
           a->info.port == b->info.port && strcmp(a->info.name, b->info.name) == 0 &&
           strcmp(a->info.host, b->info.host) == 0 && a->state == b->state &&
           a->incarnation == b->incarnation;
}

static bool gossip_equal(const struct gossip_msg *a, const struct gossip_msg *b)
{
    if (a->type != b->type || !member_equal(&a->from, &b->from) ||
        a->probe != b->probe || a->target != b->target || a->leader != b->leader ||
        (a->leader && ballot_cmp(a->leader_ballot, b->leader_ballot) != 0) ||
        a->n_members != b->n_members)
        return false;
    for (size_t i = 0; i < a->n_members; i++)
        if (!member_equal(&a->members[i], &b->members[i]))
            return false;
    return true;
}

static void check_member(const struct member_update *u, const char *text)
{
    if (u->info.id == 0 || u->info.port == 0)
        fail("a member without an id or a port", text);
    if (!memchr(u->info.name, '\0', sizeof u->info.name) ||
        !memchr(u->info.host, '\0', sizeof u->info.host) ||
        !u->info.name[0] || !u->info.host[0])
        fail("a member's name or host is empty or not terminated", text);
    if ((unsigned)u->info.role > ROLE_CLIENT || (unsigned)u->state > MEMBER_DEAD)
        fail("a member's role or state is unknown", text);
    if (u->incarnation > INT64_MAX)
        fail("incarnation out of range", text);
}

static void check_decoded(const struct gossip_msg *g, const char *text)
{
    if ((unsigned)g->type > GOSSIP_NACK)
        fail("unknown type", text);
    if (g->n_members > GOSSIP_MAX_MEMBERS || (g->members == NULL) != (g->n_members == 0))
        fail("members and n_members disagree", text);
    check_member(&g->from, text);
    for (size_t i = 0; i < g->n_members; i++)
        check_member(&g->members[i], text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct gossip_msg first, second;
    char err[256] = "";
    char *enc1, *enc2;

    if (gossip_decode((const char *)data, size, &first, err, sizeof err) != 0) {
        if (first.members || first.n_members)
            fail("a rejected message is not empty", NULL);
        if (!err[0])
            fail("a rejection without a reason", NULL);
        return 0;
    }
    enc1 = gossip_encode(&first);
    if (!enc1)
        fail("encode failed", NULL);
    check_decoded(&first, enc1);
    if (gossip_decode(enc1, strlen(enc1), &second, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_gossip: reason: %s\n", err);
        fail("the encoded message does not decode", enc1);
    }
    if (!gossip_equal(&first, &second))
        fail("round trip changed the message", enc1);
    enc2 = gossip_encode(&second);
    if (!enc2 || strcmp(enc1, enc2) != 0)
        fail("encoding is not canonical", enc1);

    free(enc2);
    free(enc1);
    gossip_msg_free(&second);
    gossip_msg_free(&first);
    return 0;
}

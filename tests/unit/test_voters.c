/* test_voters.c -- configurations of the acceptor set: quorums, their
 * JSON forms, their log values and changes, and chains of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/voters.h"

static struct voter voter(uint32_t id, const char *member)
{
    struct voter x = { .node = { .id = id, .role = ROLE_ACCEPTOR,
                                 .port = (uint16_t)(4000 + id) } };

    snprintf(x.node.name, sizeof x.node.name, "acceptor%u", (unsigned)id);
    snprintf(x.node.host, sizeof x.node.host, "acceptor%u.paxos",
             (unsigned)id);
    snprintf(x.member, sizeof x.member, "%s", member);
    return x;
}

/* Voters 1..n with members "000...0i". */
static struct voters voters_of(size_t n)
{
    struct voters v = { .epoch = 1, .first_slot = 1 };

    for (size_t i = 0; i < n; i++) {
        char member[MEMBER_ID_LEN + 1];
        snprintf(member, sizeof member, "%016zx", i + 1);
        v.v[v.n++] = voter((uint32_t)(i + 1), member);
    }
    return v;
}

static void test_quorum_is_a_majority(void **state)
{
    for (size_t n = 1; n <= 7; n++) {
        struct voters v = voters_of(n);
        assert_int_equal(voters_quorum(&v), n / 2 + 1);
    }
}

static void test_a_voter_counts_only_under_its_identity(void **state)
{
    struct voters v = voters_of(3);

    assert_int_equal(voters_find(&v, 2, "0000000000000002"), 1);
    assert_int_equal(voters_find(&v, 2, "00000000000000ff"), -1);
    assert_int_equal(voters_find(&v, 2, NULL), -1);
    assert_int_equal(voters_find(&v, 9, "0000000000000002"), -1);
    assert_int_equal(voters_find_node(&v, 2), 1);
}

static void test_both_forms_round_trip(void **state)
{
    struct voters v = voters_of(3), back;
    char err[160];
    char *whole = voters_encode(&v), *value = voters_encode_value(&v);

    v.epoch = 7;
    v.first_slot = 1234;
    free(whole);
    whole = voters_encode(&v);
    assert_int_equal(voters_decode(whole, strlen(whole), &back, err,
                                   sizeof err), 0);
    assert_true(voters_same(&v, &back));
    assert_int_equal(back.epoch, 7);
    assert_int_equal(back.first_slot, 1234);
    assert_string_equal(back.v[2].node.host, "acceptor3.paxos");
    assert_int_equal(back.v[2].node.port, 4003);
    /* the log value has no position: where the log holds it says that */
    assert_null(strstr(value, "epoch"));
    assert_int_equal(voters_decode(value, strlen(value), &back, err,
                                   sizeof err), 0);
    assert_int_equal(back.epoch, 0);
    assert_true(voters_same(&v, &back));
    free(whole);
    free(value);
}

static void expect_refused(const char *text, const char *reason)
{
    struct voters out;
    char err[160];

    assert_int_equal(voters_decode(text, strlen(text), &out, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, reason));
    assert_int_equal(out.n, 0);
}

static void test_bad_configurations_are_refused(void **state)
{
    expect_refused("{\"voters\":[]}", "1 to");
    expect_refused("{\"voters\":[{\"id\":4,\"name\":\"a\",\"host\":\"h\","
                   "\"port\":1,\"member\":\"0123\"}]}", "hex digits");
    expect_refused("{\"voters\":[{\"id\":4,\"name\":\"a\",\"host\":\"h\","
                   "\"port\":1,\"member\":\"0123456789ABCDEF\"}]}",
                   "hex digits");
    expect_refused("{\"voters\":[{\"id\":4,\"name\":\"a\",\"host\":\"h\","
                   "\"port\":1,\"member\":\"0123456789abcdef\"},"
                   "{\"id\":4,\"name\":\"b\",\"host\":\"h\",\"port\":2,"
                   "\"member\":\"0123456789abcdee\"}]}", "twice");
    expect_refused("{\"voters\":[{\"id\":4,\"name\":\"a\",\"host\":\"\","
                   "\"port\":1,\"member\":\"0123456789abcdef\"}]}",
                   "must not be empty");
    expect_refused("{\"epoch\":0,\"first_slot\":1,\"voters\":[]}", "epoch");
    expect_refused("[1,2]", "");
}

static void test_a_log_value_takes_its_position(void **state)
{
    struct voters prev = voters_of(3), next = voters_of(4), out;
    struct pvalue value, write = { (char *)"x", (char *)"9", 1 };

    prev.epoch = 2;
    assert_int_equal(voters_to_value(&next, &value), 0);
    assert_true(voters_is_value(&value));
    assert_false(voters_is_value(&write));
    assert_int_equal(voters_from_value(&value, 500, &prev, &out), 0);
    assert_int_equal(out.epoch, 3);
    assert_int_equal(out.first_slot, 500 + VOTERS_ALPHA);
    assert_true(voters_same(&out, &next));
    assert_int_equal(voters_from_value(&write, 500, &prev, &out), -1);
    pvalue_free(&value);
}

static void test_changes(void **state)
{
    struct voters cur = voters_of(3), out;
    struct voter fourth = voter(4, "0000000000000004");
    struct voter again = voter(1, "00000000000000aa");
    char err[160];

    assert_int_equal(voters_change(&cur, VOTERS_ADD, 0, &fourth, &out, err,
                                   sizeof err), 0);
    assert_int_equal(out.n, 4);
    assert_int_equal(voters_quorum(&out), 3);
    assert_int_equal(voters_change(&out, VOTERS_ADD, 0, &fourth, &out, err,
                                   sizeof err), -1);
    assert_non_null(strstr(err, "votes already"));

    /* a voter that lost its disk comes back under a new identity */
    assert_int_equal(voters_change(&cur, VOTERS_ADD, 0, &again, &out, err,
                                   sizeof err), 0);
    assert_int_equal(out.n, 3);
    assert_int_equal(voters_find(&out, 1, "00000000000000aa"), 0);
    assert_int_equal(voters_find(&out, 1, "0000000000000001"), -1);

    assert_int_equal(voters_change(&cur, VOTERS_REPLACE, 2, &fourth, &out, err,
                                   sizeof err), 0);
    assert_int_equal(out.n, 3);
    assert_int_equal(voters_find_node(&out, 2), -1);
    assert_true(voters_find(&out, 4, "0000000000000004") >= 0);
    assert_int_equal(voters_change(&cur, VOTERS_REPLACE, 2, &cur.v[0], &out,
                                   err, sizeof err), -1);

    assert_int_equal(voters_change(&cur, VOTERS_REMOVE, 3, NULL, &out, err,
                                   sizeof err), 0);
    assert_int_equal(out.n, 2);
    assert_int_equal(voters_change(&cur, VOTERS_REMOVE, 9, NULL, &out, err,
                                   sizeof err), -1);
    assert_non_null(strstr(err, "not a voter"));
    cur = voters_of(1);
    assert_int_equal(voters_change(&cur, VOTERS_REMOVE, 1, NULL, &out, err,
                                   sizeof err), -1);
    assert_non_null(strstr(err, "last voter"));
}

/* A chain: which configuration decides a slot, the changes chosen
 * joining it, and those no slot after the commit index needs leaving
 * it. A slot before the chain's first configuration has none. */
static void test_chain_says_who_decides_each_slot(void **state)
{
    struct voters founding = voters_of(3), grown = voters_of(4);
    struct voters_chain ch = { 0 };
    struct pvalue value, write = { (char *)"x", (char *)"9", 1 };
    const uint64_t first = 10 + VOTERS_ALPHA;

    assert_null(chain_at(&ch, 1));
    assert_null(chain_last(&ch));
    chain_start(&ch, &founding);
    assert_int_equal(voters_to_value(&grown, &value), 0);
    assert_int_equal(chain_take(&ch, &write, 5), 0);
    assert_int_equal(chain_take(&ch, &value, 10), 1);
    assert_int_equal(ch.n, 2);
    assert_int_equal(chain_last(&ch)->epoch, 2);
    assert_int_equal(chain_last(&ch)->first_slot, first);
    assert_ptr_equal(chain_at(&ch, 11), &ch.c[0]);
    assert_ptr_equal(chain_at(&ch, first - 1), &ch.c[0]);
    assert_ptr_equal(chain_at(&ch, first), &ch.c[1]);
    assert_true(chain_names(&ch, 4, "0000000000000004"));
    assert_false(chain_names(&ch, 4, "00000000000000ff"));

    chain_advance(&ch, first - 2);
    assert_int_equal(ch.n, 2);
    chain_advance(&ch, first - 1);
    assert_int_equal(ch.n, 1);
    assert_int_equal(ch.c[0].epoch, 2);
    assert_null(chain_at(&ch, first - 1));      /* before its first */
    assert_ptr_equal(chain_at(&ch, first), &ch.c[0]);

    /* a change taken into an empty chain: the second configuration,
     * whose voters decide nothing before its first slot */
    ch.n = 0;
    assert_int_equal(chain_take(&ch, &value, 10), 1);
    assert_int_equal(ch.c[0].epoch, 2);
    assert_null(chain_at(&ch, 11));
    pvalue_free(&value);
}

/* The JSON form of a chain round-trips, and a chain whose
 * configurations do not follow one another is refused. */
static void test_chain_round_trips(void **state)
{
    struct voters_chain ch, back;
    struct voters founding = voters_of(3), second = voters_of(4);
    char err[160], *text;

    chain_start(&ch, &founding);
    second.epoch = 2;
    second.first_slot = 1 + VOTERS_ALPHA;
    ch.c[ch.n++] = second;
    assert_non_null(text = chain_encode(&ch));
    assert_int_equal(chain_decode(text, strlen(text), &back, err, sizeof err),
                     0);
    assert_int_equal(back.n, 2);
    assert_true(voters_same(&back.c[1], &second));
    assert_int_equal(back.c[1].first_slot, second.first_slot);
    free(text);
    ch.c[1].epoch = 1;
    assert_non_null(text = chain_encode(&ch));
    assert_int_equal(chain_decode(text, strlen(text), &back, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "after the one before"));
    free(text);
}

static void test_cluster_identity_names_the_founding_voters(void **state)
{
    struct voters a = voters_of(3), b = voters_of(3);
    char id_a[CLUSTER_ID_LEN + 1], id_b[CLUSTER_ID_LEN + 1];

    voters_cluster_id(&a, id_a);
    voters_cluster_id(&b, id_b);
    assert_int_equal(strlen(id_a), CLUSTER_ID_LEN);
    assert_string_equal(id_a, id_b);
    snprintf(b.v[1].member, sizeof b.v[1].member, "00000000000000bb");
    voters_cluster_id(&b, id_b);
    assert_string_not_equal(id_a, id_b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quorum_is_a_majority),
        cmocka_unit_test(test_a_voter_counts_only_under_its_identity),
        cmocka_unit_test(test_both_forms_round_trip),
        cmocka_unit_test(test_bad_configurations_are_refused),
        cmocka_unit_test(test_a_log_value_takes_its_position),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_chain_says_who_decides_each_slot),
        cmocka_unit_test(test_chain_round_trips),
        cmocka_unit_test(test_cluster_identity_names_the_founding_voters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

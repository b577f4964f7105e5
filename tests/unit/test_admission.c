/* test_admission.c -- an acceptor votes only with state it cannot have
 * lost: founding a cluster, joining it, and refusing to vote when its
 * data directory is new in a cluster that exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/admission.h"

static struct node_info founders[3];

static int setup(void **state)
{
    for (int i = 0; i < 3; i++) {
        founders[i] = (struct node_info){ .id = (uint32_t)(4 + i),
                                          .role = ROLE_ACCEPTOR,
                                          .port = (uint16_t)(4001 + i) };
        snprintf(founders[i].name, sizeof founders[i].name, "acceptor%d",
                 i + 1);
        snprintf(founders[i].host, sizeof founders[i].host, "127.0.0.1");
    }
    return 0;
}

static struct acceptor_identity fresh(const char *member)
{
    struct acceptor_identity me = { .active = false };

    snprintf(me.member, sizeof me.member, "%s", member);
    return me;
}

static struct identity_report report(uint32_t id, const char *member,
                                     const char *cluster,
                                     const struct voters_chain *chain,
                                     uint64_t commit)
{
    struct identity_report r = { .id = id, .commit = commit,
                                 .chain = chain };

    snprintf(r.member, sizeof r.member, "%s", member);
    snprintf(r.cluster, sizeof r.cluster, "%s", cluster);
    return r;
}

/* Both learners of SEED_NODES answered: they applied nothing. */
static const struct learners_report learners_new = { 2, 2, 0 };

#define M1 "1111111111111111"
#define M2 "2222222222222222"
#define M3 "3333333333333333"
#define M1_NEW "1111111111110000"

/* The founding configuration of acceptors 4, 5, 6 with M1, M2, M3. */
static struct voters founding(void)
{
    struct identity_report r[2] = { report(5, M2, "", NULL, 0),
                                    report(6, M3, "", NULL, 0) };
    struct acceptor_identity me = fresh(M1);
    struct admission a;

    admission_decide(&founders[0], &me, founders, 3, r, 2, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_FOUND);
    assert_int_equal(a.chain.n, 1);
    assert_true(voters_same(&a.chain.c[0], &a.founding));
    return a.founding;
}

/* A chain of one configuration. */
static struct voters_chain chain_of(const struct voters *v)
{
    struct voters_chain ch;

    chain_start(&ch, v);
    return ch;
}

static void test_the_founder_founds_when_every_founder_is_new(void **state)
{
    struct voters f = founding();
    char cluster[CLUSTER_ID_LEN + 1];

    assert_int_equal(f.epoch, 1);
    assert_int_equal(f.first_slot, 1);
    assert_int_equal(f.n, 3);
    assert_int_equal(voters_find(&f, 4, M1), 0);
    assert_int_equal(voters_find(&f, 5, M2), 1);
    assert_int_equal(voters_find(&f, 6, M3), 2);
    voters_cluster_id(&f, cluster);
    assert_int_equal(strlen(cluster), CLUSTER_ID_LEN);
}

static void test_no_founding_while_a_founder_is_silent(void **state)
{
    struct identity_report r[1] = { report(5, M2, "", NULL, 0) };
    struct acceptor_identity me = fresh(M1);
    struct admission a;

    admission_decide(&founders[0], &me, founders, 3, r, 1, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_ASK_AGAIN);
}

/* Every founding acceptor is new, but the cluster lives on without them
 * (each was replaced by a spare, then started on a new disk): a learner
 * that applied slots says so, and the founder waits to be admitted
 * instead of founding a second cluster. A learner that did not answer
 * holds the founding up. */
static void test_no_founding_while_a_learner_holds_a_log(void **state)
{
    struct identity_report r[2] = { report(5, M2, "", NULL, 0),
                                    report(6, M3, "", NULL, 0) };
    struct acceptor_identity me = fresh(M1);
    const struct learners_report log = { 2, 1, 47888 };
    const struct learners_report silent = { 2, 1, 0 };
    struct admission a;

    admission_decide(&founders[0], &me, founders, 3, r, 2, &log, &a);
    assert_int_equal(a.verdict, ADMISSION_NOT_NAMED);
    admission_decide(&founders[1], &me, founders, 3, r, 2, &log, &a);
    assert_int_equal(a.verdict, ADMISSION_NOT_NAMED);
    admission_decide(&founders[0], &me, founders, 3, r, 2, &silent, &a);
    assert_int_equal(a.verdict, ADMISSION_ASK_AGAIN);
    admission_decide(&founders[0], &me, founders, 3, r, 2, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_FOUND);
}

static void test_only_the_founder_founds(void **state)
{
    struct identity_report r[2] = { report(4, M1, "", NULL, 0),
                                    report(6, M3, "", NULL, 0) };
    struct acceptor_identity me = fresh(M2);
    struct admission a;

    admission_decide(&founders[1], &me, founders, 3, r, 2, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_ASK_AGAIN);
}

static void test_a_founder_joins_the_founding_configuration(void **state)
{
    struct voters f = founding();
    struct voters_chain ch = chain_of(&f);
    struct identity_report r[1] = { report(4, M1, "00000000000000c1", &ch,
                                           0) };
    struct acceptor_identity me = fresh(M2);
    struct admission a;

    admission_decide(&founders[1], &me, founders, 3, r, 1, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_JOIN);
    assert_string_equal(a.cluster, "00000000000000c1");
    assert_int_equal(a.chain.n, 1);
    assert_true(voters_same(&a.chain.c[0], &f));
    /* the report carries no founding configuration: the chain's first */
    assert_true(voters_same(&a.founding, &f));
}

/* acceptor1 lost its disk: its new identity is in no configuration, so it
 * does not vote, even though its node is a founding voter and the
 * founder; and it never founds again while anyone is admitted. */
static void test_a_wiped_acceptor_waits_to_be_admitted(void **state)
{
    struct voters f = founding();
    struct voters_chain ch = chain_of(&f);
    struct identity_report r[1] = { report(6, M3, "00000000000000c1", &ch,
                                           42) };
    struct acceptor_identity me = fresh(M1_NEW);
    struct admission a;

    admission_decide(&founders[0], &me, founders, 3, r, 1, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_NOT_NAMED);
}

/* The chain of f, then next: a configuration value chosen at slot. */
static struct voters_chain chain_with_change(const struct voters *f,
                                             struct voters next,
                                             uint64_t slot)
{
    struct voters_chain ch = chain_of(f);
    struct pvalue value;

    assert_int_equal(voters_to_value(&next, &value), 0);
    assert_int_equal(chain_take(&ch, &value, slot), 1);
    pvalue_free(&value);
    return ch;
}

static void test_the_newest_configuration_decides(void **state)
{
    struct voters f = founding(), readmitted = f;
    struct voters_chain behind = chain_of(&f), newest;
    struct identity_report r[2];
    struct acceptor_identity me = fresh(M1_NEW);
    struct admission a;

    snprintf(readmitted.v[0].member, sizeof readmitted.v[0].member, M1_NEW);
    newest = chain_with_change(&f, readmitted, 40);
    /* acceptor3 is behind (commit 30, founding configuration); acceptor2
     * has seen the configuration that admits acceptor1 again chosen (at
     * 40), not yet in force: it names acceptor1 all the same. */
    r[0] = report(6, M3, "00000000000000c1", &behind, 30);
    r[1] = report(5, M2, "00000000000000c1", &newest, 95);
    admission_decide(&founders[0], &me, founders, 3, r, 2, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_JOIN);
    assert_int_equal(a.commit, 95);
    assert_int_equal(a.chain.n, 2);
    assert_int_equal(a.chain.c[1].epoch, 2);
    assert_int_equal(a.chain.c[1].first_slot, 40 + VOTERS_ALPHA);
    /* with only acceptor3's report, nothing names the new identity */
    admission_decide(&founders[0], &me, founders, 3, r, 1, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_NOT_NAMED);
}

/* acceptor1 was removed by a change chosen at 40, not yet in force: the
 * configuration in force still names it, so it joins (it votes in the
 * slots before the change's first). */
static void test_a_voter_in_force_joins_before_its_removal(void **state)
{
    struct voters f = founding(), removed;
    char err[80];
    struct voters_chain ch;
    struct identity_report r[1];
    struct acceptor_identity me = fresh(M1);
    struct admission a;

    assert_int_equal(voters_change(&f, VOTERS_REMOVE, 4, NULL, &removed, err,
                                   sizeof err), 0);
    ch = chain_with_change(&f, removed, 40);
    r[0] = report(5, M2, "00000000000000c1", &ch, 41);
    admission_decide(&founders[0], &me, founders, 3, r, 1, &learners_new, &a);
    assert_int_equal(a.verdict, ADMISSION_JOIN);
    assert_int_equal(a.chain.n, 2);
    assert_true(voters_same(&a.chain.c[1], &removed));
}

static void test_founders_vote_once_a_quorum_recorded_the_cluster(void **state)
{
    struct voters f = founding();
    struct acceptor_identity me = fresh(M1);
    struct identity_report r[2] = { report(5, M2, "", NULL, 0),
                                    report(6, M3, "", NULL, 0) };

    voters_cluster_id(&f, me.cluster);
    assert_false(admission_quorum_recorded(&f, &me, 4, r, 2));
    snprintf(r[0].cluster, sizeof r[0].cluster, "%s", me.cluster);
    assert_true(admission_quorum_recorded(&f, &me, 4, r, 2));
    /* a founder that answers under another identity does not count */
    snprintf(r[0].member, sizeof r[0].member, "%s", M1_NEW);
    assert_false(admission_quorum_recorded(&f, &me, 4, r, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_founder_founds_when_every_founder_is_new),
        cmocka_unit_test(test_no_founding_while_a_founder_is_silent),
        cmocka_unit_test(test_no_founding_while_a_learner_holds_a_log),
        cmocka_unit_test(test_only_the_founder_founds),
        cmocka_unit_test(test_a_founder_joins_the_founding_configuration),
        cmocka_unit_test(test_a_wiped_acceptor_waits_to_be_admitted),
        cmocka_unit_test(test_the_newest_configuration_decides),
        cmocka_unit_test(test_a_voter_in_force_joins_before_its_removal),
        cmocka_unit_test(
            test_founders_vote_once_a_quorum_recorded_the_cluster),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

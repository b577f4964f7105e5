/* test_membership.c -- the SWIM membership rules: merge precedence,
 * suspicion and death, refutation, rejoin, and the probe cycle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/membership.h"

static const struct membership_settings SET = {
    .probe_interval_ms = 1000, .probe_timeout_ms = 500, .indirect_checks = 3,
    .gossip_interval_ms = 200, .gossip_nodes = 3, .suspicion_mult = 4,
    .retransmit_mult = 4, .push_pull_interval_ms = 10000,
};

static struct node_info info(uint32_t id)
{
    struct node_info n = { .id = id, .role = ROLE_ACCEPTOR, .port = 4000 };

    snprintf(n.name, sizeof(n.name), "acceptor%u", (unsigned)id);
    snprintf(n.host, sizeof(n.host), "127.0.0.1");
    return n;
}

static struct member_update update(uint32_t id, enum member_state s,
                                   uint64_t inc)
{
    return (struct member_update){ info(id), s, inc };
}

static void merge(struct membership *m, struct member_update u, int64_t now)
{
    membership_merge(m, &u, now);
}

/* A node 1 that knows members 2..n. */
static void start(struct membership *m, size_t n)
{
    struct node_info seeds[16];

    for (size_t i = 0; i < n; i++)
        seeds[i] = info((uint32_t)i + 1);
    assert_int_equal(membership_init(m, &SET, &seeds[0], 100, seeds, n, 0), 0);
}

static enum member_state state_of(const struct membership *m, uint32_t id)
{
    const struct member *x = membership_find(m, id);

    assert_non_null(x);
    return x->state;
}

static void test_precedence_by_incarnation_then_state(void **state)
{
    struct membership m;

    start(&m, 3);
    merge(&m, update(2, MEMBER_SUSPECT, 5), 1);
    assert_int_equal(state_of(&m, 2), MEMBER_SUSPECT);
    /* alive at the same incarnation does not clear suspicion */
    merge(&m, update(2, MEMBER_ALIVE, 5), 2);
    assert_int_equal(state_of(&m, 2), MEMBER_SUSPECT);
    /* a stale incarnation never overrides a newer state */
    merge(&m, update(2, MEMBER_DEAD, 4), 3);
    assert_int_equal(state_of(&m, 2), MEMBER_SUSPECT);
    /* dead beats suspect at the same incarnation */
    merge(&m, update(2, MEMBER_DEAD, 5), 4);
    assert_int_equal(state_of(&m, 2), MEMBER_DEAD);
    merge(&m, update(2, MEMBER_ALIVE, 5), 5);
    assert_int_equal(state_of(&m, 2), MEMBER_DEAD);
    /* a dead member rejoins with a higher incarnation */
    merge(&m, update(2, MEMBER_ALIVE, 6), 6);
    assert_int_equal(state_of(&m, 2), MEMBER_ALIVE);
    assert_int_equal(membership_find(&m, 2)->incarnation, 6);
    membership_free(&m);
}

static void test_node_refutes_its_own_suspicion_and_death(void **state)
{
    struct membership m;

    start(&m, 2);
    merge(&m, update(1, MEMBER_SUSPECT, 100), 1);
    assert_int_equal(membership_self(&m).state, MEMBER_ALIVE);
    assert_int_equal(membership_self(&m).incarnation, 101);
    merge(&m, update(1, MEMBER_DEAD, 101), 2);
    assert_int_equal(membership_self(&m).incarnation, 102);
    /* an old rumour is ignored */
    merge(&m, update(1, MEMBER_DEAD, 50), 3);
    assert_int_equal(membership_self(&m).incarnation, 102);
    assert_int_equal(m.refutations, 2);
    /* the refutation is queued to spread */
    struct member_update u[8];
    size_t n = membership_take_updates(&m, u, 8);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= u[i].info.id == 1 && u[i].incarnation == 102;
    assert_true(found);
    membership_free(&m);
}

static void test_unknown_member_joins_unless_dead(void **state)
{
    struct membership m;

    start(&m, 2);
    merge(&m, update(9, MEMBER_DEAD, 3), 1);
    assert_null(membership_find(&m, 9));
    merge(&m, update(9, MEMBER_ALIVE, 3), 1);
    assert_int_equal(state_of(&m, 9), MEMBER_ALIVE);
    membership_free(&m);
}

static void test_sender_must_match_what_is_known(void **state)
{
    struct membership m;
    struct member_update liar = update(2, MEMBER_ALIVE, 1);
    struct member_update me = update(1, MEMBER_ALIVE, 1);
    struct member_update newcomer = update(7, MEMBER_ALIVE, 1);

    start(&m, 2);
    assert_int_equal(membership_check_sender(&m, &newcomer), 0);
    liar.info.role = ROLE_PROPOSER;
    assert_int_equal(membership_check_sender(&m, &liar), -1);
    /* another name for a known id is no contradiction: names come from
     * each node's own seed list */
    strcpy(newcomer.info.name, "other");
    newcomer.info.id = 2;
    assert_int_equal(membership_check_sender(&m, &newcomer), 0);
    assert_int_equal(membership_check_sender(&m, &me), -1);
    membership_free(&m);
}

/* Count outbox entries of a kind, and return the first's fields. */
static size_t outs(const struct membership *m, enum membership_out_kind k,
                   struct membership_out *first)
{
    size_t n = 0;

    for (size_t i = 0; i < m->n_out; i++)
        if (m->out[i].kind == k && n++ == 0 && first)
            *first = m->out[i];
    return n;
}

static void test_silent_member_suspected_then_dead(void **state)
{
    struct membership m;
    struct membership_out ping = { 0 };
    int64_t suspicion;

    start(&m, 2);               /* only member 2 to probe */
    membership_tick(&m, 1000);
    assert_int_equal(outs(&m, MEMBERSHIP_PING, &ping), 1);
    assert_int_equal(ping.to, 2);
    membership_out_clear(&m);
    membership_tick(&m, 1500);  /* no ack within the probe timeout */
    /* nobody else to ask: no indirect probe is possible */
    assert_int_equal(outs(&m, MEMBERSHIP_PING_REQ, NULL), 0);
    membership_tick(&m, 2000);
    assert_int_equal(state_of(&m, 2), MEMBER_SUSPECT);
    suspicion = membership_suspicion_ms(&m);
    assert_int_equal(suspicion, 4000);  /* 4 x max(1, log10 2) x 1 s */
    membership_tick(&m, 2000 + suspicion - 10);
    assert_int_equal(state_of(&m, 2), MEMBER_SUSPECT);
    membership_tick(&m, 2000 + suspicion);
    assert_int_equal(state_of(&m, 2), MEMBER_DEAD);
    membership_free(&m);
}

static void test_ack_keeps_member_alive_and_indirect_probe_asked(void **state)
{
    struct membership m;
    struct membership_out ping = { 0 }, req = { 0 };

    start(&m, 6);
    membership_tick(&m, 1000);
    assert_int_equal(outs(&m, MEMBERSHIP_PING, &ping), 1);
    membership_out_clear(&m);
    /* refused at once: the indirect probes go out without waiting */
    membership_probe_result(&m, ping.probe, false, false, 1001);
    assert_int_equal(outs(&m, MEMBERSHIP_PING_REQ, &req), 3);
    assert_int_equal(req.target, ping.to);
    assert_int_not_equal(req.to, ping.to);
    assert_int_not_equal(req.to, 1);
    /* another member reached it */
    membership_probe_result(&m, ping.probe, true, true, 1200);
    membership_tick(&m, 1900);
    assert_int_equal(state_of(&m, ping.to), MEMBER_ALIVE);
    /* a late answer to an old probe changes nothing */
    membership_probe_result(&m, ping.probe, false, false, 1950);
    membership_free(&m);
}

static void test_probes_go_round_robin_over_everyone(void **state)
{
    struct membership m;
    bool probed[9] = { false };

    start(&m, 8);
    for (int round = 1; round <= 7; round++) {
        struct membership_out ping = { 0 };
        membership_tick(&m, round * 1000);
        assert_int_equal(outs(&m, MEMBERSHIP_PING, &ping), 1);
        assert_false(probed[ping.to]);
        probed[ping.to] = true;
        membership_probe_result(&m, ping.probe, true, false, round * 1000 + 1);
        membership_out_clear(&m);
    }
    for (uint32_t id = 2; id <= 8; id++)
        assert_true(probed[id]);
    membership_free(&m);
}

static void test_updates_retransmitted_a_limited_number_of_times(void **state)
{
    struct membership m;
    struct member_update u[4];
    int limit, sent = 0;

    start(&m, 3);
    for (size_t i = 0; i < m.n_members; i++)
        m.members[i].transmits_left = 0;
    merge(&m, update(3, MEMBER_SUSPECT, 1), 5);
    limit = membership_retransmits(&m);
    assert_int_equal(limit, 4);         /* 4 x ceil(log10(3 + 1)) */
    while (membership_take_updates(&m, u, 4) == 1) {
        assert_int_equal(u[0].info.id, 3);
        assert_int_equal(u[0].state, MEMBER_SUSPECT);
        sent++;
    }
    assert_int_equal(sent, limit);
    membership_free(&m);
}

static void test_leader_hint_keeps_highest_ballot(void **state)
{
    struct membership m;

    start(&m, 2);
    membership_leader(&m, 1, (struct ballot){ 3, 1 });
    membership_leader(&m, 2, (struct ballot){ 2, 2 });
    assert_int_equal(m.leader, 1);
    membership_leader(&m, 3, (struct ballot){ 3, 3 });
    assert_int_equal(m.leader, 3);
    membership_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence_by_incarnation_then_state),
        cmocka_unit_test(test_node_refutes_its_own_suspicion_and_death),
        cmocka_unit_test(test_unknown_member_joins_unless_dead),
        cmocka_unit_test(test_sender_must_match_what_is_known),
        cmocka_unit_test(test_silent_member_suspected_then_dead),
        cmocka_unit_test(test_ack_keeps_member_alive_and_indirect_probe_asked),
        cmocka_unit_test(test_probes_go_round_robin_over_everyone),
        cmocka_unit_test(test_updates_retransmitted_a_limited_number_of_times),
        cmocka_unit_test(test_leader_hint_keeps_highest_ballot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

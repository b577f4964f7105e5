/* test_gossip_msg.c -- the JSON form of gossip messages: round trips and
 * refusals of malformed or inconsistent input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gossip_msg.h"

static struct member_update member(uint32_t id, enum role role,
                                   enum member_state state, uint64_t inc)
{
    struct member_update u = { .info = { .id = id, .role = role, .port = 4001 },
                               .state = state, .incarnation = inc };

    snprintf(u.info.name, sizeof(u.info.name), "node%u", (unsigned)id);
    snprintf(u.info.host, sizeof(u.info.host), "acceptor1.paxos.svc.cluster.local");
    return u;
}

static void assert_same_member(const struct member_update *a,
                               const struct member_update *b)
{
    assert_int_equal(a->info.id, b->info.id);
    assert_int_equal(a->info.role, b->info.role);
    assert_int_equal(a->info.port, b->info.port);
    assert_string_equal(a->info.name, b->info.name);
    assert_string_equal(a->info.host, b->info.host);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->incarnation, b->incarnation);
}

static void test_every_type_round_trips(void **state)
{
    struct member_update members[3] = {
        member(2, ROLE_PROPOSER, MEMBER_ALIVE, 7),
        member(5, ROLE_ACCEPTOR, MEMBER_SUSPECT, 1795000000000ULL),
        member(10, ROLE_CLIENT, MEMBER_DEAD, 0),
    };

    for (int t = GOSSIP_PING; t <= GOSSIP_NACK; t++) {
        struct gossip_msg in = {
            .type = (enum gossip_type)t,
            .from = member(1, ROLE_LEARNER, MEMBER_ALIVE, 3),
            .probe = t == GOSSIP_GOSSIP || t == GOSSIP_SYNC ? 0 : 42,
            .target = t == GOSSIP_PING_REQ ? 5 : 0,
            .leader = 2, .leader_ballot = { 4, 2 },
            .members = members, .n_members = 3,
        }, out;
        char err[200];
        char *text = gossip_encode(&in);
        assert_non_null(text);
        assert_int_equal(gossip_decode(text, strlen(text), &out, err, sizeof(err)), 0);
        assert_int_equal(out.type, in.type);
        assert_same_member(&out.from, &in.from);
        assert_int_equal(out.probe, in.probe);
        assert_int_equal(out.target, in.target);
        assert_int_equal(out.leader, 2);
        assert_int_equal(ballot_cmp(out.leader_ballot, in.leader_ballot), 0);
        assert_int_equal(out.n_members, 3);
        for (int i = 0; i < 3; i++)
            assert_same_member(&out.members[i], &members[i]);
        gossip_msg_free(&out);
        free(text);
    }
}

static void assert_refused(const char *text, const char *expect_in_err)
{
    struct gossip_msg g;
    char err[200] = "";

    assert_int_equal(gossip_decode(text, strlen(text), &g, err, sizeof(err)), -1);
    if (!strstr(err, expect_in_err))
        fail_msg("error '%s' does not mention '%s'", err, expect_in_err);
    assert_null(g.members);
}

#define FROM "\"from\":{\"id\":1,\"name\":\"a\",\"role\":\"acceptor\"," \
             "\"host\":\"h\",\"port\":1,\"state\":\"alive\",\"incarnation\":1}"

static void test_malformed_messages_refused(void **state)
{
    assert_refused("", "JSON object");
    assert_refused("[]", "JSON object");
    assert_refused("{\"type\":\"ping\"", "malformed");
    assert_refused("{\"type\":\"ping\",\"probe\":1," FROM "} x", "malformed");
    assert_refused("{\"type\":\"shout\"," FROM "}", "type");
    assert_refused("{\"type\":\"gossip\"}", "from");
    assert_refused("{\"type\":\"ping\"," FROM "}", "probe");
    assert_refused("{\"type\":\"ping-req\",\"probe\":1," FROM "}", "target");
    assert_refused("{\"type\":\"gossip\"," FROM ",\"members\":{}}", "members");
    assert_refused("{\"type\":\"gossip\"," FROM ",\"members\":[{\"id\":2}]}",
                   "members[0].name");
    assert_refused("{\"type\":\"gossip\",\"from\":{\"id\":1,\"name\":\"a\","
                   "\"role\":\"king\",\"host\":\"h\",\"port\":1,\"state\":\"alive\","
                   "\"incarnation\":1}}", "from.role");
    assert_refused("{\"type\":\"gossip\",\"from\":{\"id\":1,\"name\":\"a\","
                   "\"role\":\"acceptor\",\"host\":\"h\",\"port\":70000,"
                   "\"state\":\"alive\",\"incarnation\":1}}", "from.port");
    assert_refused("{\"type\":\"gossip\",\"from\":{\"id\":0,\"name\":\"a\","
                   "\"role\":\"acceptor\",\"host\":\"h\",\"port\":1,"
                   "\"state\":\"alive\",\"incarnation\":1}}", "non-zero id");
    assert_refused("{\"type\":\"gossip\"," FROM ",\"leader\":{\"id\":1,"
                   "\"ballot\":{\"round\":-1,\"node\":1}}}", "leader.ballot.round");
    assert_refused("{\"type\":\"gossip\"," FROM ",\"members\":[[[[1]]]]}", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_type_round_trips),
        cmocka_unit_test(test_malformed_messages_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

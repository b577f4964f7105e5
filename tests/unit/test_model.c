/* test_model.c -- paxos-top's model on /status and /get-values answers
 * recorded from a running ten-node cluster (tests/unit/fixtures): every
 * role's fields, malformed and partial answers, the events two polls
 * imply, the derived leader, quorum and rates, the learned log merged from
 * two learners, sorting and filtering the rows, the acceptor set (the
 * configuration in force and to come, spares waiting to be admitted, a
 * lost data directory, a removed voter), the changes typed at the
 * configuration view and their answers, and endpoint lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoints.h"
#include "model.h"

enum {
    PROPOSER1, PROPOSER2, PROPOSER3, ACCEPTOR1, ACCEPTOR2, ACCEPTOR3,
    LEARNER1, LEARNER2, CLIENT1, CLIENT2, N_NODES
};

static const char *const NAMES[N_NODES] = {
    "proposer1", "proposer2", "proposer3", "acceptor1", "acceptor2",
    "acceptor3", "learner1", "learner2", "client1", "client2",
};
static const uint16_t PORTS[N_NODES] = { 3001, 3002, 3003, 4001, 4002, 4003,
                                         5001, 5002, 6001, 6002 };

/* ---- helpers ---- */

static void init_cluster(struct model *m)
{
    struct endpoint eps[N_NODES];

    memset(eps, 0, sizeof eps);
    for (size_t i = 0; i < N_NODES; i++) {
        snprintf(eps[i].name, sizeof eps[i].name, "%s", NAMES[i]);
        snprintf(eps[i].host, sizeof eps[i].host, "127.0.0.1");
        eps[i].port = PORTS[i];
    }
    assert_int_equal(model_init(m, eps, N_NODES), 0);
}

/* A recorded answer's text (the caller frees it). */
static char *fixture(const char *name)
{
    const char *srcdir = getenv("PAXOS_SRCDIR");
    char path[1024];
    char *text = NULL;
    long len;
    FILE *f;

    snprintf(path, sizeof path, "%s/tests/unit/fixtures/%s",
             srcdir ? srcdir : ".", name);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (set PAXOS_SRCDIR to the source tree)", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    rewind(f);
    assert_non_null(text = malloc((size_t)len + 1));
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    text[len] = '\0';
    fclose(f);
    return text;
}

/* A recorded answer with one top-level field replaced (value is taken). */
static char *fixture_with(const char *name, const char *key, json_object *value)
{
    char *text = fixture(name);
    json_object *root = json_tokener_parse(text);
    char *changed;

    assert_non_null(root);
    json_object_object_add(root, key, value);
    assert_non_null(changed = strdup(json_object_to_json_string_ext(
                        root, JSON_C_TO_STRING_PLAIN)));
    json_object_put(root);
    free(text);
    return changed;
}

static void feed_text(struct model *m, size_t i, const char *text, int64_t now)
{
    model_status(m, i, 200, text, strlen(text), 1, now);
}

static void feed(struct model *m, size_t i, const char *name, int64_t now)
{
    char *text = fixture(name);

    feed_text(m, i, text, now);
    free(text);
}

static void feed_owned(struct model *m, size_t i, char *text, int64_t now)
{
    feed_text(m, i, text, now);
    free(text);
}

static void refuse(struct model *m, size_t i, int64_t now)
{
    static const char reason[] = "connection refused";

    model_status(m, i, 0, reason, strlen(reason), 0, now);
}

static void feed_values(struct model *m, size_t i, const char *name)
{
    char *text = fixture(name);

    model_values(m, i, text, strlen(text));
    free(text);
}

static size_t events_matching(const struct model *m, const char *needle)
{
    size_t n = 0;

    for (size_t k = 0; k < m->n_events; k++)
        n += strstr(model_event_at(m, k)->text, needle) != NULL;
    return n;
}

static void assert_event(const struct model *m, const char *needle)
{
    if (events_matching(m, needle) == 0) {
        for (size_t k = 0; k < m->n_events; k++)
            print_message("event: %s\n", model_event_at(m, k)->text);
        fail_msg("no event contains \"%s\"", needle);
    }
}

static const char *last_event(const struct model *m)
{
    return m->n_events ? model_event_at(m, m->n_events - 1)->text : "";
}

static double newest(const double *ring, const struct model *m)
{
    return ring[(m->history_next + MODEL_HISTORY - 1) % MODEL_HISTORY];
}

/* Feeds every node of the guide's cluster a healthy answer. */
static void feed_healthy_cluster(struct model *m, int64_t now)
{
    feed(m, PROPOSER1, "status_proposer_leader.json", now);
    feed(m, PROPOSER2, "status_proposer_follower.json", now);
    feed(m, PROPOSER3, "status_proposer_follower.json", now);
    feed(m, ACCEPTOR1, "status_acceptor.json", now);
    feed(m, ACCEPTOR2, "status_acceptor.json", now);
    feed(m, ACCEPTOR3, "status_acceptor.json", now);
    feed(m, LEARNER1, "status_learner.json", now);
    feed(m, LEARNER2, "status_learner.json", now);
    feed(m, CLIENT1, "status_client.json", now);
    feed(m, CLIENT2, "status_client.json", now);
}

/* ---- every role's fields ---- */

static void test_proposer_leader_fields(void **state)
{
    struct model m;
    char *text = fixture("status_proposer_leader.json");

    init_cluster(&m);
    feed_text(&m, PROPOSER1, text, 1000);
    const struct node_view *n = &m.nodes[PROPOSER1];
    assert_true(n->up);
    assert_true(n->ever_up);
    assert_int_equal(n->last_ok_ms, 1000);
    assert_string_equal(n->role, "proposer");
    assert_int_equal(n->id, 1);
    assert_string_equal(n->state, "leader");
    assert_true(n->is_leader);
    assert_int_equal(n->leader_id, 1);
    assert_string_equal(n->leader_name, "proposer1");
    assert_int_equal(n->ballot.round, 1);
    assert_int_equal(n->ballot.node, 1);
    assert_int_equal(n->promised.round, 1);
    assert_int_equal(n->commit, 5);
    assert_int_equal(n->next_slot, 6);
    assert_int_equal(n->chosen, 5);
    assert_int_equal(n->elections, 1);
    assert_int_equal(n->n_recent, 5);
    assert_int_equal(n->recent[2].slot, 3);
    assert_string_equal(n->recent[2].text, "gamma with \"quotes\"");
    assert_int_equal(n->n_members, 10);
    assert_int_equal(n->alive, 10);
    assert_int_equal(n->dead, 0);
    assert_string_equal(n->raw, text);     /* for the detail view */
    free(text);
    model_free(&m);
}

static void test_follower_and_noop_recent(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, PROPOSER2, "status_proposer_follower.json", 1000);
    assert_string_equal(m.nodes[PROPOSER2].state, "follower");
    assert_false(m.nodes[PROPOSER2].is_leader);
    assert_int_equal(m.nodes[PROPOSER2].ballot.round, 0);
    assert_int_equal(m.nodes[PROPOSER2].promised.round, 1);  /* highest seen */
    assert_int_equal(m.nodes[PROPOSER2].n_recent, 0);

    /* A new leader fills the gaps with no-ops. */
    feed(&m, PROPOSER3, "status_proposer_new_leader.json", 1000);
    const struct node_view *n = &m.nodes[PROPOSER3];
    assert_int_equal(n->n_recent, 6);
    assert_true(n->recent[0].noop);
    assert_string_equal(n->recent[0].text, "");
    assert_false(n->recent[5].noop);
    assert_string_equal(n->recent[5].text, "after-failover");
    assert_int_equal(n->suspect, 1);

    /* A candidate with no leader: leader null and "". */
    feed(&m, PROPOSER1, "status_proposer_no_quorum.json", 1000);
    assert_string_equal(m.nodes[PROPOSER1].state, "candidate");
    assert_int_equal(m.nodes[PROPOSER1].leader_id, 0);
    assert_string_equal(m.nodes[PROPOSER1].leader_name, "");
    model_free(&m);
}

static void test_acceptor_fields(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, ACCEPTOR1, "status_acceptor.json", 1000);
    const struct node_view *n = &m.nodes[ACCEPTOR1];
    assert_true(n->up);
    assert_string_equal(n->role, "acceptor");
    assert_int_equal(n->promised.round, 1);
    assert_int_equal(n->promised.node, 1);
    assert_int_equal(n->commit, 5);
    assert_int_equal(n->max_slot, 5);
    assert_true(n->has_accepted);       /* the last of "accepted" */
    assert_int_equal(n->accepted.slot, 5);
    assert_int_equal(n->accepted.ballot.round, 1);
    assert_string_equal(n->accepted.text, "c2");

    feed(&m, ACCEPTOR2, "status_acceptor_after_failover.json", 1000);
    assert_int_equal(m.nodes[ACCEPTOR2].accepted.slot, 6);
    assert_int_equal(m.nodes[ACCEPTOR2].accepted.ballot.round, 2);
    assert_string_equal(m.nodes[ACCEPTOR2].accepted.text, "after-failover");
    model_free(&m);
}

static void test_learner_fields_and_members(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, LEARNER1, "status_learner.json", 1000);
    assert_int_equal(m.nodes[LEARNER1].applied, 5);
    assert_int_equal(m.nodes[LEARNER1].values_count, 5);
    assert_int_equal(m.nodes[LEARNER1].n_recent, 5);
    assert_string_equal(m.nodes[LEARNER1].recent[4].text, "c2");

    feed(&m, LEARNER2, "status_learner_members_dead.json", 1000);
    const struct node_view *n = &m.nodes[LEARNER2];
    assert_int_equal(n->applied, 6);
    assert_int_equal(n->alive, 7);
    assert_int_equal(n->dead, 3);
    assert_string_equal(model_member_state(n, 1), "dead");     /* proposer1 */
    assert_string_equal(model_member_state(n, 5), "dead");     /* acceptor2 */
    assert_string_equal(model_member_state(n, 4), "alive");    /* acceptor1 */
    assert_string_equal(model_member_state(n, 99), "");        /* not listed */
    assert_string_equal(model_member_state(&m.nodes[CLIENT1], 1), "");
    model_free(&m);
}

static void test_client_fields(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, CLIENT1, "status_client.json", 1000);
    const struct node_view *n = &m.nodes[CLIENT1];
    assert_string_equal(n->role, "client");
    assert_string_equal(n->leader_name, "proposer1");
    assert_int_equal(n->leader_id, 1);
    assert_int_equal(n->writes_ok, 3);
    assert_int_equal(n->writes_failed, 0);
    assert_int_equal(n->n_recent, 3);
    assert_int_equal(n->recent[0].slot, 1);
    assert_string_equal(n->recent[0].text, "alpha");

    feed(&m, CLIENT2, "status_client_failed.json", 1000);
    assert_int_equal(m.nodes[CLIENT2].writes_failed, 1);
    assert_string_equal(m.nodes[CLIENT2].recent[1].text, "doomed");
    assert_int_equal(m.nodes[CLIENT2].recent[1].slot, 0);     /* not chosen */
    model_free(&m);
}

/* ---- malformed, partial and odd answers ---- */

static json_object *bad_ballot(void)
{
    json_object *b = json_object_new_object();

    json_object_object_add(b, "round", json_object_new_string("1"));
    json_object_object_add(b, "node", json_object_new_int(1));
    return b;
}

static json_object *array_of_number(void)
{
    json_object *a = json_object_new_array();

    json_object_array_add(a, json_object_new_int(5));
    return a;
}

static json_object *counts_negative(void)
{
    json_object *c = json_object_new_object();

    json_object_object_add(c, "alive", json_object_new_int(-1));
    return c;
}

static char *huge(const char *before, size_t n, const char *after)
{
    size_t lb = strlen(before), la = strlen(after);
    char *s = malloc(lb + n + la + 1);

    assert_non_null(s);
    memcpy(s, before, lb);
    memset(s + lb, 'a', n);
    memcpy(s + lb + n, after, la + 1);
    return s;
}

static char *nested(size_t depth)
{
    char *s = malloc(2 * depth + 20);

    assert_non_null(s);
    strcpy(s, "{\"role\":");
    memset(s + 8, '[', depth);
    memset(s + 8 + depth, ']', depth);
    strcpy(s + 8 + 2 * depth, "}");
    return s;
}

/* Each answer marks proposer1 down with its reason, keeps the last good
 * figures, and leaks nothing. */
static void check_bad_answer(char *body, const char *reason)
{
    struct model m;

    init_cluster(&m);
    feed(&m, PROPOSER1, "status_proposer_leader.json", 1000);
    model_status(&m, PROPOSER1, 200, body, strlen(body), 1, 2000);
    const struct node_view *n = &m.nodes[PROPOSER1];
    assert_false(n->up);
    assert_true(n->ever_up);
    assert_int_equal(n->last_ok_ms, 1000);
    if (!strstr(n->error, "bad /status: ") || !strstr(n->error, reason))
        fail_msg("error \"%s\" does not say \"%s\"", n->error, reason);
    assert_int_equal(n->ballot.round, 1);       /* the last good view */
    assert_int_equal(n->n_members, 10);
    assert_int_equal(events_matching(&m, "proposer1 down: bad /status"), 1);
    free(body);
    model_free(&m);
}

static void test_malformed_answers_mark_down(void **state)
{
    char *whole = fixture("status_proposer_leader.json");

    check_bad_answer(strndup(whole, strlen(whole) / 2), "unexpected end");
    check_bad_answer(strdup("[1,2]"), "must be a JSON object");
    check_bad_answer(strdup(""), "must be a JSON object");
    check_bad_answer(strdup("{\"id\":1}"), "field 'role' is missing");
    check_bad_answer(strdup("{\"role\":\"janitor\"}"), "unknown role 'janitor'");
    check_bad_answer(strdup("{\"role\":7}"), "field 'role' must be a string");
    check_bad_answer(strdup("{\"role\":\"proposer\",\"state\":\"\xff\"}"),
                     "malformed JSON");
    check_bad_answer(fixture_with("status_proposer_leader.json", "ballot",
                                  bad_ballot()),
                     "field 'ballot.round' must be a non-negative integer");
    check_bad_answer(fixture_with("status_proposer_leader.json", "is_leader",
                                  json_object_new_string("yes")),
                     "field 'is_leader' must be true or false");
    check_bad_answer(fixture_with("status_proposer_leader.json", "members",
                                  json_object_new_string("all")),
                     "field 'members' must be an array");
    check_bad_answer(fixture_with("status_proposer_leader.json", "recent",
                                  array_of_number()),
                     "field 'recent[0]' must be an object");
    check_bad_answer(fixture_with("status_proposer_leader.json",
                                  "member_counts", counts_negative()),
                     "field 'member_counts.alive' must be a non-negative");
    check_bad_answer(fixture_with("status_proposer_leader.json", "commit",
                                  json_object_new_double(1.5)),
                     "field 'commit' must be a non-negative integer");
    check_bad_answer(huge("{\"role\":\"", 1 << 20, "\"}"),
                     "field 'role' is 1048576 bytes, the limit is 11");
    check_bad_answer(huge("{\"role\":\"proposer\",\"members\":[{\"name\":\"",
                          100000, "\"}]}"),
                     "field 'members[0].name' is 100000 bytes");
    check_bad_answer(nested(1000), "malformed JSON");
    char *trailing = NULL;
    assert_true(asprintf(&trailing, "%sx", whole) > 0);
    check_bad_answer(trailing, "malformed JSON");
    free(whole);
}

static void test_missing_fields_are_tolerated(void **state)
{
    struct model m;

    init_cluster(&m);
    feed_text(&m, PROPOSER1, "{\"role\":\"proposer\",\"leader\":null,"
              "\"ballot\":null,\"recent\":null}", 1000);
    const struct node_view *n = &m.nodes[PROPOSER1];
    assert_true(n->up);
    assert_int_equal(n->ballot.round, 0);
    assert_int_equal(n->leader_id, 0);
    assert_int_equal(n->n_members, 0);
    assert_int_equal(n->n_recent, 0);
    assert_string_equal(n->error, "");
    model_free(&m);
}

static void test_long_values_are_cut_to_one_line(void **state)
{
    struct model m;
    char *body = huge("{\"role\":\"learner\",\"recent\":[{\"slot\":1,"
                      "\"value\":\"", 1 << 20, "\"},{\"slot\":2,\"value\":"
                      "\"two\\nlines\\u00e9\"}]}");

    init_cluster(&m);
    feed_owned(&m, LEARNER1, body, 1000);
    const struct node_view *n = &m.nodes[LEARNER1];
    assert_true(n->up);
    assert_int_equal(strlen(n->recent[0].text), MODEL_TEXT_MAX - 1);
    assert_string_equal(n->recent[0].text + MODEL_TEXT_MAX - 4, "...");
    assert_string_equal(n->recent[1].text, "two?lines\xc3\xa9");
    model_free(&m);
}

static void test_transport_and_http_errors(void **state)
{
    struct model m;
    static const char busy[] = "{\"error\":\"too busy\"}";

    init_cluster(&m);
    refuse(&m, CLIENT1, 1000);
    assert_false(m.nodes[CLIENT1].up);
    assert_string_equal(m.nodes[CLIENT1].error, "connection refused");
    assert_string_equal(last_event(&m), "client1 down: connection refused");
    refuse(&m, CLIENT1, 2000);          /* still down: no second event */
    assert_int_equal(events_matching(&m, "client1 down"), 1);

    feed(&m, CLIENT1, "status_client.json", 3000);
    assert_true(m.nodes[CLIENT1].up);
    assert_string_equal(m.nodes[CLIENT1].error, "");
    assert_string_equal(last_event(&m), "client1 up");

    model_status(&m, CLIENT1, 503, busy, strlen(busy), 2, 4000);
    assert_string_equal(m.nodes[CLIENT1].error, "HTTP 503: too busy");
    assert_string_equal(last_event(&m), "client1 down: HTTP 503: too busy");
    model_status(&m, CLIENT1, 404, "", 0, 2, 5000);
    assert_string_equal(m.nodes[CLIENT1].error, "HTTP 404");

    feed(&m, CLIENT1, "status_client.json", 6000);
    assert_string_equal(last_event(&m), "client1 up again");
    model_status(&m, 99, 200, busy, strlen(busy), 1, 1);   /* no such node */
    model_free(&m);
}

/* ---- events and figures between polls ---- */

static void test_leader_change_and_ballot_rise(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, PROPOSER1, "status_proposer_leader.json", 1000);
    feed(&m, PROPOSER2, "status_proposer_follower.json", 1000);
    refuse(&m, PROPOSER3, 1000);
    model_tick(&m, 1000);
    assert_string_equal(m.leader, "proposer1");
    assert_int_equal(m.leader_ballot.round, 1);
    assert_true(m.had_leader);
    assert_event(&m, "leader: proposer1 (ballot 1.1)");

    refuse(&m, PROPOSER1, 2000);
    feed(&m, PROPOSER2, "status_proposer_new_leader.json", 2000);
    assert_string_equal(last_event(&m), "proposer2 ballot 0.0 -> 2.2");
    model_tick(&m, 2000);
    assert_string_equal(m.leader, "proposer2");
    assert_string_equal(last_event(&m),
                        "leader: proposer1 -> proposer2 (ballot 2.2)");

    /* proposer1 comes back still claiming to lead at its old ballot: the
     * highest ballot wins, and nothing changes. */
    feed(&m, PROPOSER1, "status_proposer_leader.json", 3000);
    size_t before = m.n_events;
    model_tick(&m, 3000);
    assert_string_equal(m.leader, "proposer2");
    assert_int_equal(m.n_events, before);

    refuse(&m, PROPOSER1, 4000);
    refuse(&m, PROPOSER2, 4000);
    model_tick(&m, 4000);
    assert_string_equal(m.leader, "");
    assert_string_equal(last_event(&m), "leader: proposer2 -> none");
    assert_true(m.had_leader);
    model_free(&m);
}

static void test_quorum_health(void **state)
{
    struct model m;

    init_cluster(&m);
    feed_healthy_cluster(&m, 1000);
    model_tick(&m, 1000);
    assert_int_equal(m.acceptors_total, 3);
    assert_int_equal(m.acceptors_up, 3);
    assert_int_equal(m.quorum, 2);
    assert_int_equal(events_matching(&m, "quorum"), 0);

    refuse(&m, ACCEPTOR2, 2000);
    refuse(&m, ACCEPTOR3, 2000);
    model_tick(&m, 2000);
    assert_int_equal(m.acceptors_up, 1);
    assert_string_equal(last_event(&m), "no quorum: acceptors 1/3 up (need 2)");
    assert_true(m.had_quorum);

    feed(&m, ACCEPTOR2, "status_acceptor.json", 3000);
    model_tick(&m, 3000);
    assert_string_equal(last_event(&m),
                        "quorum back: acceptors 2/3 up (need 2)");
    model_free(&m);
}

static void test_nothing_answers(void **state)
{
    struct model m;

    init_cluster(&m);
    for (size_t i = 0; i < N_NODES; i++)
        refuse(&m, i, 1000);
    model_tick(&m, 1000);
    /* Roles come from the names until the nodes answer. */
    assert_string_equal(model_node_role(&m.nodes[ACCEPTOR3]), "acceptor");
    assert_string_equal(m.nodes[ACCEPTOR3].role, "");
    assert_int_equal(m.acceptors_total, 3);
    assert_false(m.had_leader);
    assert_false(m.had_quorum);
    assert_event(&m, "leader: none");
    assert_event(&m, "no quorum: acceptors 0/3 up (need 2)");
    assert_int_equal(events_matching(&m, " down: connection refused"), N_NODES);
    model_free(&m);
}

static void test_writes_per_second_and_log_length(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, LEARNER1, "status_learner.json", 1000);
    model_tick(&m, 1000);
    assert_int_equal(m.log_length, 5);
    assert_true(newest(m.writes_per_s, &m) == 0.0);

    feed_owned(&m, LEARNER1, fixture_with("status_learner.json", "applied",
                                          json_object_new_int(25)), 3000);
    feed(&m, LEARNER2, "status_learner.json", 3000);
    model_tick(&m, 3000);
    assert_int_equal(m.log_length, 25);     /* the most advanced learner */
    assert_true(newest(m.writes_per_s, &m) == 10.0);
    assert_int_equal(m.history_len, 2);
    model_free(&m);
}

static void test_client_writes_become_events_and_latency(void **state)
{
    struct model m;
    static const char direct_ok[] = "{\"slot\":12,\"ballot\":{\"round\":2,"
                                    "\"node\":2},\"value\":\"d\"}";
    static const char timeout[] = "{\"error\":\"no answer within 10000 ms\","
                                  "\"status\":\"unknown\"}";

    init_cluster(&m);
    feed_healthy_cluster(&m, 1000);
    feed_owned(&m, CLIENT1, fixture_with("status_client.json", "writes_ok",
                                         json_object_new_int(2)), 1000);
    feed_owned(&m, CLIENT2, fixture_with("status_client_failed.json",
                                         "writes_failed",
                                         json_object_new_int(0)), 1000);
    model_tick(&m, 1000);
    assert_int_equal(events_matching(&m, "write '"), 0);   /* the baseline */

    /* One more acknowledged write (the newest of recent), one failure. */
    feed(&m, CLIENT1, "status_client.json", 2000);
    assert_string_equal(last_event(&m), "client1: write 'gamma with \"quotes\"'"
                        " -> slot 3 (1 ms)");
    feed(&m, CLIENT2, "status_client_failed.json", 2000);
    assert_string_equal(last_event(&m), "client2: write 'doomed' failed: no "
                        "answer within 10000 ms (last error: 503 no leader "
                        "elected yet) (9995 ms)");
    model_write_result(&m, "proposer2", "d", 200, direct_ok, 30, 2000);
    assert_string_equal(last_event(&m),
                        "direct-write 'd' -> slot 12 (proposer2, 30 ms)");
    model_tick(&m, 2000);
    /* Mean of the client's 1 ms and the direct write's 30 ms; the failed
     * write does not count. */
    assert_true(newest(m.latency_ms, &m) == 15.5);

    model_write_result(&m, "client1", "v", 504, timeout, 10000, 3000);
    assert_string_equal(last_event(&m), "write 'v' -> failed on client1: "
                        "HTTP 504: no answer within 10000 ms (10000 ms)");
    model_write_result(&m, "client1", "v", 0, "connection refused", 0, 3000);
    assert_string_equal(last_event(&m), "write 'v' -> failed on client1: "
                        "connection refused (0 ms)");
    model_tick(&m, 3000);
    assert_true(newest(m.latency_ms, &m) == 0.0);   /* nothing acknowledged */

    /* A burst becomes one summary line. */
    feed_owned(&m, CLIENT1, fixture_with("status_client.json", "writes_ok",
                                         json_object_new_int(103)), 4000);
    assert_string_equal(last_event(&m),
                        "client1: 100 writes acknowledged, 0 failed");
    /* A restarted client (counters back to 0) is a new baseline. */
    size_t before = m.n_events;
    feed_owned(&m, CLIENT1, fixture_with("status_client.json", "writes_ok",
                                         json_object_new_int(1)), 5000);
    assert_int_equal(m.n_events, before);
    model_free(&m);
}

static void test_event_ring_keeps_the_newest(void **state)
{
    struct model m;

    init_cluster(&m);
    for (int i = 0; i < MODEL_EVENTS + 88; i++)
        model_event(&m, i, "e%d", i);
    assert_int_equal(m.n_events, MODEL_EVENTS);
    assert_string_equal(model_event_at(&m, 0)->text, "e88");
    assert_int_equal(model_event_at(&m, 0)->at_ms, 88);
    assert_string_equal(model_event_at(&m, MODEL_EVENTS - 1)->text, "e599");
    assert_null(model_event_at(&m, MODEL_EVENTS));
    model_free(&m);
}

/* ---- the learned log ---- */

static void test_learned_log_from_two_learners(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, LEARNER1, "status_learner.json", 1000);
    feed(&m, LEARNER2, "status_learner.json", 1000);
    assert_int_equal(model_values_from(&m, LEARNER1), 1);
    feed_values(&m, LEARNER1, "values_learner1.json");     /* slots 2-5 */
    feed_values(&m, LEARNER2, "values_learner2.json");     /* slots 1-3 */

    assert_int_equal(m.log_len, 5);
    for (size_t k = 0; k < m.log_len; k++)
        assert_int_equal(m.log[k].slot, k + 1);
    assert_int_equal(m.log[0].learners, 0x2);      /* learner2 only */
    assert_int_equal(m.log[1].learners, 0x3);      /* both */
    assert_int_equal(m.log[2].learners, 0x3);
    assert_int_equal(m.log[3].learners, 0x1);      /* learner1 only */
    assert_int_equal(m.log[4].learners, 0x1);
    assert_string_equal(m.log[0].text, "alpha");
    assert_string_equal(m.log[2].text, "gamma with \"quotes\"");
    assert_string_equal(m.log[3].text, "direct1");
    assert_int_equal(m.log[3].ballot.round, 1);
    assert_false(m.log[3].noop);

    /* The next pages start after what each learner reported. */
    assert_int_equal(model_values_from(&m, LEARNER1), 6);
    assert_int_equal(model_values_from(&m, LEARNER2), 4);

    /* The same page again adds nothing. */
    feed_values(&m, LEARNER1, "values_learner1.json");
    assert_int_equal(m.log_len, 5);
    assert_int_equal(events_matching(&m, "differs"), 0);
    model_free(&m);
}

static void test_learners_disagreeing_is_an_event(void **state)
{
    struct model m;
    static const char other[] = "{\"values\":[{\"slot\":2,\"value\":\"evil\","
                                "\"ballot\":{\"round\":1,\"node\":1}},"
                                "{\"slot\":9,\"noop\":true}]}";

    init_cluster(&m);
    feed_values(&m, LEARNER1, "values_learner1.json");
    model_values(&m, LEARNER2, other, strlen(other));
    assert_event(&m, "slot 2 differs: learner2 has 'evil', another learner "
                 "'beta'");
    assert_string_equal(m.log[0].text, "beta");     /* the first report kept */
    assert_true(m.log[m.log_len - 1].noop);
    assert_int_equal(m.log[m.log_len - 1].slot, 9);
    model_free(&m);
}

static void test_bad_values_page_is_an_event(void **state)
{
    struct model m;
    static const char bad[] = "{\"values\":[{\"slot\":1,\"value\":\"a\"},"
                              "{\"slot\":\"two\"}]}";

    init_cluster(&m);
    model_values(&m, LEARNER1, bad, strlen(bad));
    assert_int_equal(m.log_len, 1);                 /* what came before it */
    assert_event(&m, "learner1: bad /get-values: field 'values[1].slot'");
    model_values(&m, LEARNER1, bad, 10);            /* truncated */
    assert_event(&m, "learner1: bad /get-values: malformed JSON");
    model_free(&m);
}

static void test_values_from_jumps_to_the_newest_page(void **state)
{
    struct model m;

    init_cluster(&m);
    feed_owned(&m, LEARNER1, fixture_with("status_learner.json", "applied",
                                          json_object_new_int(5000)), 1000);
    assert_int_equal(model_values_from(&m, LEARNER1),
                     5000 - MODEL_VALUES_PAGE + 1);
    model_free(&m);
}

static void test_log_keeps_the_newest_slots(void **state)
{
    struct model m;
    char page[64];

    init_cluster(&m);
    for (int slot = 1; slot <= 20000; slot++) {
        snprintf(page, sizeof page, "{\"values\":[{\"slot\":%d,\"value\":\"v\"}]}",
                 slot);
        model_values(&m, LEARNER1, page, strlen(page));
    }
    assert_true(m.log_len <= 12500);
    assert_int_equal(m.log[m.log_len - 1].slot, 20000);
    assert_true(m.log[0].slot > 7500);
    model_free(&m);
}

/* ---- rows ---- */

static size_t rows(const struct model *m, enum model_column col, bool desc,
                   const char *filter, size_t *order)
{
    return model_rows(m, col, desc, filter, order);
}

static void assert_order(const struct model *m, enum model_column col,
                         bool desc, const size_t *want, size_t n_want)
{
    size_t order[N_NODES];
    size_t n = rows(m, col, desc, NULL, order);

    assert_int_equal(n, N_NODES);
    for (size_t k = 0; k < n_want; k++)
        if (order[k] != want[k])
            fail_msg("column %d%s: row %zu is %s, want %s", (int)col,
                     desc ? " descending" : "", k, m->nodes[order[k]].ep.name,
                     m->nodes[want[k]].ep.name);
}

/* proposer3 is renamed proposer10 (natural order) and client2 lives on
 * 10.0.0.2; latencies differ per node. */
static void init_sortable_cluster(struct model *m)
{
    static const int64_t latency[N_NODES] = { 7, 3, 4, 2, 9, 1, 5, 6, 8, 0 };

    init_cluster(m);
    snprintf(m->nodes[PROPOSER3].ep.name, MODEL_NAME_MAX, "proposer10");
    snprintf(m->nodes[CLIENT2].ep.host, sizeof m->nodes[CLIENT2].ep.host,
             "10.0.0.2");
    feed(m, PROPOSER1, "status_proposer_leader.json", 1000);
    feed(m, PROPOSER2, "status_proposer_new_leader.json", 1000);
    feed(m, PROPOSER3, "status_proposer_no_quorum.json", 1000);
    feed(m, ACCEPTOR1, "status_acceptor.json", 1000);
    feed(m, ACCEPTOR2, "status_acceptor_after_failover.json", 1000);
    refuse(m, ACCEPTOR3, 1000);
    feed(m, LEARNER1, "status_learner.json", 1000);
    feed(m, LEARNER2, "status_learner_members_dead.json", 1000);
    feed(m, CLIENT1, "status_client.json", 1000);
    feed(m, CLIENT2, "status_client_failed.json", 1000);
    for (size_t i = 0; i < N_NODES; i++)
        m->nodes[i].latency_ms = latency[i];
}

static void test_sorting_by_every_column(void **state)
{
    struct model m;

    init_sortable_cluster(&m);
    assert_order(&m, COL_NAME, false, (const size_t[]){
        ACCEPTOR1, ACCEPTOR2, ACCEPTOR3, CLIENT1, CLIENT2, LEARNER1, LEARNER2,
        PROPOSER1, PROPOSER2, PROPOSER3 }, N_NODES);
    assert_order(&m, COL_NAME, true, (const size_t[]){
        PROPOSER3, PROPOSER2, PROPOSER1 }, 3);
    assert_order(&m, COL_ROLE, false, (const size_t[]){
        PROPOSER1, PROPOSER2, PROPOSER3, ACCEPTOR1, ACCEPTOR2, ACCEPTOR3,
        LEARNER1, LEARNER2, CLIENT1, CLIENT2 }, N_NODES);
    /* Ties stay in node order also when descending. */
    assert_order(&m, COL_ROLE, true, (const size_t[]){
        CLIENT1, CLIENT2, LEARNER1, LEARNER2, ACCEPTOR1 }, 5);
    assert_order(&m, COL_ADDRESS, false, (const size_t[]){
        CLIENT2, PROPOSER1, PROPOSER2, PROPOSER3, ACCEPTOR1 }, 5);
    assert_order(&m, COL_ADDRESS, true, (const size_t[]){
        CLIENT1, LEARNER2 }, 2);
    assert_order(&m, COL_UP, false, (const size_t[]){ ACCEPTOR3, PROPOSER1 }, 2);
    assert_order(&m, COL_BALLOT, true, (const size_t[]){
        PROPOSER3, PROPOSER2, PROPOSER1, ACCEPTOR1 }, 4);
    assert_order(&m, COL_PROMISED, true, (const size_t[]){
        PROPOSER3, PROPOSER2, ACCEPTOR2, PROPOSER1, ACCEPTOR1, ACCEPTOR3 }, 6);
    assert_order(&m, COL_ACCEPTED, true, (const size_t[]){
        ACCEPTOR2, ACCEPTOR1, PROPOSER1 }, 3);
    assert_order(&m, COL_CHOSEN, true, (const size_t[]){
        PROPOSER2, PROPOSER3, ACCEPTOR2, PROPOSER1, ACCEPTOR1 }, 5);
    assert_order(&m, COL_APPLIED, true, (const size_t[]){
        LEARNER2, LEARNER1, PROPOSER1 }, 3);
    assert_order(&m, COL_MEMBERS, false, (const size_t[]){
        ACCEPTOR3, PROPOSER3, LEARNER2, CLIENT2, PROPOSER2, ACCEPTOR2,
        PROPOSER1 }, 7);
    assert_order(&m, COL_LATENCY, true, (const size_t[]){
        ACCEPTOR2, CLIENT1, PROPOSER1, LEARNER2 }, 4);
    assert_order(&m, COL_LATENCY, false, (const size_t[]){
        CLIENT2, ACCEPTOR3, ACCEPTOR1 }, 3);
    model_free(&m);
}

static void test_filtering_rows(void **state)
{
    struct model m;
    size_t order[N_NODES];

    init_sortable_cluster(&m);
    assert_int_equal(rows(&m, COL_NAME, false, "LEARN", order), 2);
    assert_int_equal(order[0], LEARNER1);
    assert_int_equal(order[1], LEARNER2);
    assert_int_equal(rows(&m, COL_NAME, false, "down", order), 1);
    assert_int_equal(order[0], ACCEPTOR3);
    assert_int_equal(rows(&m, COL_NAME, false, ":4002", order), 1);
    assert_int_equal(order[0], ACCEPTOR2);
    assert_int_equal(rows(&m, COL_NAME, false, "10.0.0", order), 1);
    assert_int_equal(order[0], CLIENT2);
    assert_int_equal(rows(&m, COL_ROLE, false, "leader", order), 2);
    assert_int_equal(order[0], PROPOSER1);
    assert_int_equal(order[1], PROPOSER2);
    assert_int_equal(rows(&m, COL_NAME, true, "proposer1", order), 2);
    assert_int_equal(order[0], PROPOSER3);          /* proposer10 */
    assert_int_equal(rows(&m, COL_NAME, false, "", order), N_NODES);
    assert_int_equal(rows(&m, COL_NAME, false, "zebra", order), 0);
    model_free(&m);
}

/* ---- the acceptor set ---- */

/* The member identities of the voters of epoch 2 (the fixtures'). */
static const char *const MEMBERS[] = {
    "e01fe6938d269385", "0391eec2175d7021", "427a22cfc017f76b",
};

/* A voting acceptor's recorded answer as acceptor k+1 (id 4 + k) says it. */
static char *acceptor_answer(size_t k)
{
    char *text = fixture("status_acceptor_voting.json");
    json_object *root = json_tokener_parse(text);
    char name[16], *changed;

    assert_non_null(root);
    snprintf(name, sizeof name, "acceptor%zu", k + 1);
    json_object_object_add(root, "id", json_object_new_int((int)(4 + k)));
    json_object_object_add(root, "name", json_object_new_string(name));
    json_object_object_add(root, "member",
                           json_object_new_string(MEMBERS[k]));
    assert_non_null(changed = strdup(json_object_to_json_string_ext(
                        root, JSON_C_TO_STRING_PLAIN)));
    json_object_put(root);
    free(text);
    return changed;
}

/* The guide's ten and acceptor4 (added as paxos-top finds it later),
 * after epoch 2 made acceptor4 a voter: everyone votes. Returns
 * acceptor4's index. */
static size_t reconfigured_cluster(struct model *m, int64_t now)
{
    const struct endpoint spare = { "acceptor4", "127.0.0.1", 4004 };
    int acceptor4;

    init_cluster(m);
    feed_healthy_cluster(m, now);
    feed(m, PROPOSER1, "status_proposer_reconfigured.json", now);
    for (size_t k = 0; k < 3; k++)
        feed_owned(m, ACCEPTOR1 + k, acceptor_answer(k), now);
    acceptor4 = model_add_node(m, &spare, now);
    assert_int_equal(acceptor4, N_NODES);
    feed(m, (size_t)acceptor4, "status_acceptor_voting.json", now);
    model_tick(m, now);
    return (size_t)acceptor4;
}

static void test_acceptor_identity_and_configs(void **state)
{
    struct model m;

    init_cluster(&m);
    feed(&m, ACCEPTOR1, "status_acceptor_voting.json", 1000);
    const struct node_view *n = &m.nodes[ACCEPTOR1];
    assert_string_equal(n->member, "307aae142104583c");
    assert_string_equal(n->cluster, "a4a9af290d596eda");
    assert_string_equal(n->admission, "active");
    assert_int_equal(n->n_configs, 2);          /* the one before, too */
    const struct config_view *c = &n->configs[1];
    assert_int_equal(c->epoch, 2);
    assert_int_equal(c->first_slot, 1025);
    assert_int_equal(c->n_voters, 4);
    assert_int_equal(c->voters[3].id, 11);
    assert_string_equal(c->voters[3].name, "acceptor4");
    assert_string_equal(c->voters[3].member, "307aae142104583c");
    assert_string_equal(c->voters[3].address, "127.0.0.1:25504");

    feed(&m, ACCEPTOR2, "status_acceptor_waiting.json", 1000);
    assert_string_equal(m.nodes[ACCEPTOR2].admission, "waiting");
    assert_string_equal(m.nodes[ACCEPTOR2].cluster, "");
    assert_int_equal(m.nodes[ACCEPTOR2].n_configs, 0);

    feed(&m, PROPOSER1, "status_proposer_reconfigured.json", 1000);
    assert_int_equal(m.nodes[PROPOSER1].n_configs, 1);
    assert_int_equal(m.nodes[PROPOSER1].configs[0].epoch, 2);
    feed(&m, LEARNER1, "status_learner_reconfigured.json", 1000);
    assert_int_equal(m.nodes[LEARNER1].configs[0].n_voters, 4);
    /* An answer from before reconfiguration has none of it. */
    feed(&m, ACCEPTOR3, "status_acceptor.json", 1000);
    assert_string_equal(m.nodes[ACCEPTOR3].admission, "");
    assert_int_equal(m.nodes[ACCEPTOR3].n_configs, 0);
    model_free(&m);
}

static void test_configuration_in_force_and_coming(void **state)
{
    struct model m;
    size_t acceptor4 = reconfigured_cluster(&m, 1000);

    assert_int_equal(m.config.epoch, 2);
    assert_int_equal(m.config.first_slot, 1025);
    assert_string_equal(m.config_from, "proposer1");
    assert_int_equal(m.n_coming, 0);
    assert_event(&m, "configuration epoch 2 from slot 1025: acceptor1, "
                 "acceptor2, acceptor3, acceptor4");
    assert_event(&m, "watching acceptor4 (127.0.0.1:4004) from now on");
    assert_string_equal(model_quorum_of(&m), "voters");
    assert_int_equal(m.acceptors_total, 4);
    assert_int_equal(m.acceptors_up, 4);
    assert_int_equal(m.quorum, 3);
    assert_int_equal(model_standing(&m, acceptor4), STANDING_VOTER);
    assert_string_equal(model_standing_word(STANDING_VOTER), "");

    /* A change chosen, not yet in force: epoch 3 leaves acceptor2 out. */
    feed(&m, PROPOSER1, "status_proposer_change_coming.json", 2000);
    model_tick(&m, 2000);
    assert_int_equal(m.config.epoch, 2);
    assert_int_equal(m.n_coming, 1);
    assert_int_equal(m.coming[0].epoch, 3);
    assert_int_equal(m.coming[0].first_slot, 2049);
    assert_int_equal(m.coming[0].n_voters, 3);

    /* Without the leader, the node that knows the newest: acceptor4's
     * chain, read at its commit (epoch 1, then 2 from slot 1025). */
    refuse(&m, PROPOSER1, 3000);
    model_tick(&m, 3000);
    assert_int_equal(m.config.epoch, 2);
    assert_int_equal(m.n_coming, 0);
    assert_string_equal(m.config_from, "acceptor1");

    /* Epoch 5 (acceptor2 removed, acceptor1 with its new identity). */
    feed(&m, PROPOSER1, "status_proposer_acceptor2_removed.json", 4000);
    model_tick(&m, 4000);
    assert_string_equal(last_event(&m) , "configuration epoch 2 -> 5 from "
                        "slot 4097: acceptor1, acceptor3, acceptor4");
    model_free(&m);
}

static void test_spare_waiting_to_be_admitted(void **state)
{
    const struct endpoint spare = { "acceptor5", "127.0.0.1", 4005 };
    struct model_acceptor rows[MODEL_ACCEPTORS_MAX];
    struct model m;
    size_t acceptor4 = reconfigured_cluster(&m, 1000);
    int acceptor5 = model_add_node(&m, &spare, 2000);

    assert_true(acceptor5 > 0);
    feed(&m, (size_t)acceptor5, "status_acceptor_waiting.json", 2000);
    model_tick(&m, 2000);
    assert_event(&m, "acceptor5 admission: waiting");
    assert_int_equal(model_standing(&m, (size_t)acceptor5), STANDING_WAITING);
    assert_string_equal(model_standing_text(STANDING_WAITING),
                        "waiting to be admitted");
    assert_string_equal(model_standing_word(STANDING_WAITING), "waiting");
    assert_int_equal(m.acceptors_total, 4);     /* a spare is no voter */

    size_t n = model_acceptors(&m, rows, MODEL_ACCEPTORS_MAX);
    assert_int_equal(n, 5);
    for (size_t k = 0; k < 4; k++) {
        assert_true(rows[k].voter);
        assert_true(model_acceptor_votes(&m, &rows[k]));
    }
    assert_string_equal(rows[3].name, "acceptor4");
    assert_int_equal(rows[3].node, (int)acceptor4);
    assert_string_equal(rows[4].name, "acceptor5");
    assert_int_equal(rows[4].id, 12);
    assert_string_equal(rows[4].member, "bf6c5dd3d5246200");
    assert_string_equal(rows[4].address, "127.0.0.1:4005");
    assert_false(rows[4].voter);
    assert_int_equal(rows[4].standing, STANDING_WAITING);
    assert_false(model_acceptor_votes(&m, &rows[4]));
    size_t order[MODEL_NODES_MAX];
    assert_int_equal(model_rows(&m, COL_NAME, false, "WAIT", order), 1);
    assert_int_equal(order[0], (size_t)acceptor5);

    /* Admitted: its answer says active and epoch 3 names it. */
    feed(&m, (size_t)acceptor5, "status_acceptor_voting.json", 3000);
    assert_event(&m, "acceptor5 admission: waiting -> active");
    model_free(&m);
}

static void test_voter_not_watched(void **state)
{
    struct model_acceptor rows[MODEL_ACCEPTORS_MAX];
    struct model m;

    init_cluster(&m);       /* acceptor4 is not among the watched nodes */
    feed_healthy_cluster(&m, 1000);
    feed(&m, PROPOSER1, "status_proposer_reconfigured.json", 1000);
    for (size_t k = 0; k < 3; k++)
        feed_owned(&m, ACCEPTOR1 + k, acceptor_answer(k), 1000);
    model_tick(&m, 1000);
    assert_int_equal(model_acceptors(&m, rows, MODEL_ACCEPTORS_MAX), 4);
    assert_string_equal(rows[3].name, "acceptor4");
    assert_int_equal(rows[3].node, -1);
    assert_int_equal(rows[3].standing, STANDING_VOTER);  /* as configured */
    assert_string_equal(rows[3].address, "127.0.0.1:25504");
    assert_false(model_acceptor_votes(&m, &rows[3]));
    assert_int_equal(m.acceptors_up, 3);        /* unknown is not voting */
    assert_int_equal(m.quorum, 3);
    model_free(&m);
}

static void test_lost_data_directory(void **state)
{
    struct model_acceptor rows[MODEL_ACCEPTORS_MAX];
    struct model m;

    reconfigured_cluster(&m, 1000);
    /* acceptor1 comes back on an empty disk: another member identity. */
    feed(&m, ACCEPTOR1, "status_acceptor_new_disk.json", 2000);
    model_tick(&m, 2000);
    assert_event(&m, "acceptor1 has a new member identity 4f57b93d2b28a441: "
                 "its data directory is new");
    assert_event(&m, "acceptor1 admission: active -> waiting");
    assert_int_equal(model_standing(&m, ACCEPTOR1), STANDING_RENEWED);
    assert_non_null(strstr(model_standing_text(STANDING_RENEWED),
                           "under another member identity"));
    assert_string_equal(model_standing_word(STANDING_RENEWED), "waiting");
    assert_int_equal(m.acceptors_up, 3);
    model_acceptors(&m, rows, MODEL_ACCEPTORS_MAX);
    assert_string_equal(rows[0].name, "acceptor1");
    assert_true(rows[0].voter);
    assert_string_equal(rows[0].member, "4f57b93d2b28a441");  /* it says */
    assert_false(model_acceptor_votes(&m, &rows[0]));

    /* Two of four voters lost: no quorum among the voters. */
    feed_owned(&m, ACCEPTOR2, fixture_with("status_acceptor_new_disk.json",
                                           "id", json_object_new_int(5)),
               3000);
    model_tick(&m, 3000);
    assert_string_equal(last_event(&m), "no quorum: voters 2/4 up (need 3)");
    model_free(&m);
}

static void test_removed_acceptor_is_not_a_voter(void **state)
{
    struct model m;

    init_cluster(&m);
    feed_healthy_cluster(&m, 1000);
    feed(&m, PROPOSER1, "status_proposer_acceptor2_removed.json", 1000);
    feed(&m, ACCEPTOR2, "status_acceptor_removed.json", 1000);
    model_tick(&m, 1000);
    assert_int_equal(m.config.epoch, 5);
    assert_int_equal(model_standing(&m, ACCEPTOR2), STANDING_NOT_VOTER);
    assert_string_equal(model_standing_word(STANDING_NOT_VOTER), "nonvoter");
    /* Not an acceptor, or never answered: nothing to say. */
    assert_int_equal(model_standing(&m, PROPOSER1), STANDING_UNKNOWN);
    assert_int_equal(model_standing(&m, N_NODES + 5), STANDING_UNKNOWN);
    model_free(&m);
}

static void test_bad_configs_mark_down(void **state)
{
    json_object *voters = json_object_new_array(), *configs;

    check_bad_answer(fixture_with("status_proposer_reconfigured.json",
                                  "configs", json_object_new_string("e2")),
                     "field 'configs' must be an array");
    configs = json_object_new_array();
    for (int k = 0; k < 5; k++)
        json_object_array_add(configs, json_object_new_object());
    check_bad_answer(fixture_with("status_proposer_reconfigured.json",
                                  "configs", configs),
                     "field 'configs' holds 5 configurations, at most 4");
    for (int k = 0; k < 32; k++)
        json_object_array_add(voters, json_object_new_object());
    configs = json_object_new_array();
    json_object_array_add(configs, json_object_new_object());
    json_object_object_add(json_object_array_get_idx(configs, 0), "voters",
                           voters);
    check_bad_answer(fixture_with("status_proposer_reconfigured.json",
                                  "configs", configs),
                     "field 'configs[0].voters' has 32 voters, at most 31");
    configs = json_tokener_parse("[{\"epoch\":1,\"voters\":[{\"id\":4,"
                                 "\"port\":70000}]}]");
    check_bad_answer(fixture_with("status_proposer_reconfigured.json",
                                  "configs", configs),
                     "field 'configs[0].voters[0].port'");
    configs = json_tokener_parse("[{\"epoch\":-1}]");
    check_bad_answer(fixture_with("status_proposer_reconfigured.json",
                                  "configs", configs),
                     "field 'configs[0].epoch' must be a non-negative");
}

static void test_watching_more_nodes(void **state)
{
    struct endpoint ep = { "", "127.0.0.1", 0 };
    struct model m;

    init_cluster(&m);
    for (size_t i = N_NODES; i < MODEL_NODES_MAX; i++) {
        snprintf(ep.name, sizeof ep.name, "acceptor%zu", i);
        ep.port = (uint16_t)(10000 + i);
        assert_int_equal(model_add_node(&m, &ep, 1000), (int)i);
    }
    assert_string_equal(m.nodes[N_NODES].ep.name, "acceptor10");
    assert_string_equal(m.nodes[PROPOSER1].ep.name, "proposer1");
    snprintf(ep.name, sizeof ep.name, "one-too-many");
    assert_int_equal(model_add_node(&m, &ep, 1000), -1);
    assert_string_equal(last_event(&m),
                        "cannot watch one-too-many too: too many nodes");
    assert_int_equal(m.n_nodes, MODEL_NODES_MAX);
    model_free(&m);
}

/* ---- changes of the acceptor set ---- */

static void check_parse(enum model_change_kind kind, const char *text,
                        const char *name, const char *with)
{
    struct model_change c;
    char err[200] = "";

    if (model_change_parse(kind, text, &c, err, sizeof err) != 0)
        fail_msg("'%s' refused: %s", text, err);
    assert_int_equal(c.kind, kind);
    assert_string_equal(c.name, name);
    assert_string_equal(c.with, with);
}

static void check_refused(enum model_change_kind kind, const char *text,
                          const char *reason)
{
    struct model_change c;
    char err[200] = "";

    assert_int_equal(model_change_parse(kind, text, &c, err, sizeof err), -1);
    if (!strstr(err, reason))
        fail_msg("'%s': error \"%s\" does not say \"%s\"", text, err, reason);
}

static void test_change_prompt_text(void **state)
{
    check_parse(CHANGE_ADD, "acceptor4", "acceptor4", "");
    check_parse(CHANGE_ADD, "  11 ", "11", "");
    check_parse(CHANGE_REMOVE, "acceptor2", "acceptor2", "");
    check_parse(CHANGE_REPLACE, "acceptor1 acceptor4", "acceptor1",
                "acceptor4");
    check_parse(CHANGE_REPLACE, "acceptor1   acceptor4 ", "acceptor1",
                "acceptor4");
    check_refused(CHANGE_ADD, "", "type one acceptor name or id");
    check_refused(CHANGE_ADD, "acceptor4 acceptor5",
                  "type one acceptor name or id");
    check_refused(CHANGE_REPLACE, "acceptor1", "type two names");
    check_refused(CHANGE_REPLACE, "a b c", "type two names");
    check_refused(CHANGE_REPLACE, "acceptor1 acceptor1",
                  "acceptor1 cannot take its own place");
    check_refused(CHANGE_ADD, "acceptor4;rm", "'acceptor4;rm' is not an "
                  "acceptor name or id");
    check_refused(CHANGE_ADD, "\"acceptor4\"", "is not an acceptor name");
    check_refused(CHANGE_REMOVE, "abcdefghijabcdefghijabcdefghijabc",
                  "is not an acceptor name");
}

static void check_body(enum model_change_kind kind, const char *text,
                       const char *body, const char *said)
{
    struct model_change c;
    char err[200], what[100];
    char *json;

    assert_int_equal(model_change_parse(kind, text, &c, err, sizeof err), 0);
    assert_non_null(json = model_change_body(&c));
    assert_string_equal(json, body);
    free(json);
    model_change_text(&c, what, sizeof what);
    assert_string_equal(what, said);
}

static void test_change_body_and_text(void **state)
{
    check_body(CHANGE_ADD, "acceptor4", "{\"add\":\"acceptor4\"}",
               "add acceptor4");
    check_body(CHANGE_REMOVE, "11", "{\"remove\":\"11\"}", "remove 11");
    check_body(CHANGE_REPLACE, "acceptor1 acceptor4",
               "{\"replace\":\"acceptor1\",\"with\":\"acceptor4\"}",
               "replace acceptor1 with acceptor4");
}

/* The answer to "add acceptor4" with status and body: what it says. */
static void check_result(int status, const char *body, bool in_force,
                         const char *said)
{
    struct model_change c;
    struct model m;
    char err[100], out[512];

    init_cluster(&m);
    assert_int_equal(model_change_parse(CHANGE_ADD, "acceptor4", &c, err,
                                        sizeof err), 0);
    assert_int_equal(model_change_result(&m, &c, "proposer2", status, body,
                                         17, 1000, out, sizeof out),
                     in_force);
    assert_string_equal(out, said);
    assert_string_equal(last_event(&m), said);
    model_free(&m);
}

/* POST /voters's 200: the configuration in force, as the leader's chain
 * holds it, with "status" and "slot". */
static char *changed_answer(void)
{
    char *text = fixture("status_proposer_reconfigured.json");
    json_object *root = json_tokener_parse(text), *configs, *config;
    char *answer;

    assert_true(json_object_object_get_ex(root, "configs", &configs));
    config = json_object_array_get_idx(configs, 0);
    json_object_object_add(config, "status",
                           json_object_new_string("changed"));
    json_object_object_add(config, "slot", json_object_new_int(1));
    assert_non_null(answer = strdup(json_object_to_json_string_ext(
                        config, JSON_C_TO_STRING_PLAIN)));
    json_object_put(root);
    free(text);
    return answer;
}

static void test_change_answers(void **state)
{
    char *changed = changed_answer();

    /* The 200 carries the configuration now in force. */
    check_result(200, changed, true, "add acceptor4: epoch 2 in force from "
                 "slot 1025, voters acceptor1, acceptor2, acceptor3, "
                 "acceptor4 (proposer2, 17 ms)");
    free(changed);
    check_result(200, "{\"configs\":[]}", false, "add acceptor4: proposer2 "
                 "answered 200 without the configuration in force: "
                 "{\"configs\":[]}");
    check_result(400, "{\"error\":\"acceptor4 votes already\"}", false,
                 "add acceptor4 failed on proposer2: HTTP 400: acceptor4 "
                 "votes already (17 ms)");
    check_result(409, "{\"error\":\"a configuration change is under way\"}",
                 false, "add acceptor4 failed on proposer2: HTTP 409: a "
                 "configuration change is under way (17 ms)");
    check_result(503, "{\"error\":\"no leader elected yet\",\"leader\":null}",
                 false, "add acceptor4 failed on proposer2: HTTP 503: no "
                 "leader elected yet (17 ms)");
    check_result(504, "{\"error\":\"leadership lost\",\"status\":\"unknown\"}",
                 false, "add acceptor4: unknown: leadership was lost during "
                 "the change, which may still come into force (proposer2, "
                 "17 ms)");
    check_result(0, "connection refused", false, "add acceptor4 failed on "
                 "proposer2: connection refused (17 ms)");
}

/* ---- endpoints ---- */

static void test_endpoints_parse_good(void **state)
{
    struct endpoint eps[4];
    char err[200] = "";

    assert_int_equal(endpoints_parse("proposer1=127.0.0.1:3001,acceptor_2="
                                     "node.example.org:65535,c.3=[::1]:1",
                                     eps, 4, err, sizeof err), 3);
    assert_string_equal(eps[0].name, "proposer1");
    assert_string_equal(eps[0].host, "127.0.0.1");
    assert_int_equal(eps[0].port, 3001);
    assert_string_equal(eps[1].host, "node.example.org");
    assert_int_equal(eps[1].port, 65535);
    assert_string_equal(eps[2].name, "c.3");
    assert_string_equal(eps[2].host, "[::1]");
    assert_int_equal(eps[2].port, 1);
}

static void check_bad_spec(const char *spec, size_t max, const char *why)
{
    struct endpoint eps[4];
    char err[200] = "";

    assert_int_equal(endpoints_parse(spec, eps, max, err, sizeof err), -1);
    if (!strstr(err, why))
        fail_msg("'%s': error \"%s\" does not say \"%s\"", spec, err, why);
}

static void test_endpoints_parse_bad(void **state)
{
    check_bad_spec("", 4, "no endpoints given");
    check_bad_spec("proposer1", 4, "is not name=host:port");
    check_bad_spec("a=host", 4, "is not name=host:port");
    check_bad_spec("a=host:0", 4, "the port must be 1-65535");
    check_bad_spec("a=host:65536", 4, "the port must be 1-65535");
    check_bad_spec("a=host:80x", 4, "the port must be 1-65535");
    check_bad_spec("a=host:", 4, "the port must be 1-65535");
    check_bad_spec("=host:1", 4, "the name must be");
    check_bad_spec("a b=host:1", 4, "the name must be");
    check_bad_spec("a=:1", 4, "bad host");
    check_bad_spec("a=ho;st:1", 4, "bad host");
    check_bad_spec("a=h:1,a=h:2", 4, "node 'a' is listed twice");
    check_bad_spec("a=h:1,b=h:2", 1, "more than 1 nodes");
    check_bad_spec("a=h:1,", 4, "is not name=host:port");
    check_bad_spec("abcdefghijabcdefghijabcdefghijabcdefghij=h:1", 4,
                   "the name must be");
}

static void test_endpoints_from_file(void **state)
{
    char path[] = "/tmp/test_model_endpointsXXXXXX";
    struct endpoint eps[4];
    char err[300] = "";
    int fd = mkstemp(path);
    FILE *f;

    assert_true(fd >= 0);
    assert_non_null(f = fdopen(fd, "w"));
    fputs("# the local cluster\n\nproposer1=127.0.0.1:3001\n"
          "  learner1=127.0.0.1:5001  \r\n", f);
    fclose(f);
    assert_int_equal(endpoints_from_file(path, eps, 4, err, sizeof err), 2);
    assert_string_equal(eps[1].name, "learner1");
    assert_int_equal(eps[1].port, 5001);

    assert_non_null(f = fopen(path, "a"));
    fputs("client1=127.0.0.1\n", f);
    fclose(f);
    assert_int_equal(endpoints_from_file(path, eps, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, ":5: 'client1=127.0.0.1' is not name=host:port"));
    unlink(path);
    assert_int_equal(endpoints_from_file(path, eps, 4, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read"));
}

static void test_k8s_namespace_is_checked_before_any_command(void **state)
{
    struct endpoint eps[4];
    char err[300] = "";

    assert_int_equal(endpoints_from_k8s("paxos; rm -rf /", "1.2.3.4", eps, 4,
                                        err, sizeof err), -1);
    assert_non_null(strstr(err, "bad namespace"));
    assert_int_equal(endpoints_from_k8s("Paxos", NULL, eps, 4, err,
                                        sizeof err), -1);
    assert_non_null(strstr(err, "bad namespace"));
    assert_int_equal(endpoints_from_k8s("paxos", "1.2.3.4;true", eps, 4, err,
                                        sizeof err), -1);
    assert_non_null(strstr(err, "bad --node-ip"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proposer_leader_fields),
        cmocka_unit_test(test_follower_and_noop_recent),
        cmocka_unit_test(test_acceptor_fields),
        cmocka_unit_test(test_learner_fields_and_members),
        cmocka_unit_test(test_client_fields),
        cmocka_unit_test(test_malformed_answers_mark_down),
        cmocka_unit_test(test_missing_fields_are_tolerated),
        cmocka_unit_test(test_long_values_are_cut_to_one_line),
        cmocka_unit_test(test_transport_and_http_errors),
        cmocka_unit_test(test_leader_change_and_ballot_rise),
        cmocka_unit_test(test_quorum_health),
        cmocka_unit_test(test_nothing_answers),
        cmocka_unit_test(test_writes_per_second_and_log_length),
        cmocka_unit_test(test_client_writes_become_events_and_latency),
        cmocka_unit_test(test_event_ring_keeps_the_newest),
        cmocka_unit_test(test_learned_log_from_two_learners),
        cmocka_unit_test(test_learners_disagreeing_is_an_event),
        cmocka_unit_test(test_bad_values_page_is_an_event),
        cmocka_unit_test(test_values_from_jumps_to_the_newest_page),
        cmocka_unit_test(test_log_keeps_the_newest_slots),
        cmocka_unit_test(test_sorting_by_every_column),
        cmocka_unit_test(test_filtering_rows),
        cmocka_unit_test(test_acceptor_identity_and_configs),
        cmocka_unit_test(test_configuration_in_force_and_coming),
        cmocka_unit_test(test_spare_waiting_to_be_admitted),
        cmocka_unit_test(test_voter_not_watched),
        cmocka_unit_test(test_lost_data_directory),
        cmocka_unit_test(test_removed_acceptor_is_not_a_voter),
        cmocka_unit_test(test_bad_configs_mark_down),
        cmocka_unit_test(test_watching_more_nodes),
        cmocka_unit_test(test_change_prompt_text),
        cmocka_unit_test(test_change_body_and_text),
        cmocka_unit_test(test_change_answers),
        cmocka_unit_test(test_endpoints_parse_good),
        cmocka_unit_test(test_endpoints_parse_bad),
        cmocka_unit_test(test_endpoints_from_file),
        cmocka_unit_test(test_k8s_namespace_is_checked_before_any_command),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_codec.c -- unit tests for the message codec (net/codec.c).
 *
 * Every message type must survive encode -> decode unchanged, the
 * acceptors' identities and configurations (chains of them) included,
 * and every kind of malformed input must be rejected with a reason,
 * leaving the message empty and nothing leaked (run under
 * AddressSanitizer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "net/codec.h"

#define MAX_VALUE 65536

static const char *const tricky_values[] = {
    "plain", "with \"quotes\"", "back\\slash\\", "new\nline\ttab\r",
    "UTF-8: h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x8e\x89", "", "slash / </script>",
    "control \x01\x1f", "{\"looks\":\"like json\"}",
};
#define N_TRICKY (sizeof tricky_values / sizeof tricky_values[0])

/* ---- helpers ---- */

static struct pvalue client_value(const char *data, const char *client, uint64_t seq)
{
    return (struct pvalue){ (char *)data, (char *)client, seq };
}

static const struct pvalue noop_value = { NULL, NULL, 0 };

#define MEMBER "0123456789abcdef"
#define CLUSTER "fedcba9876543210"

/* A configuration of n acceptors (ids 4, 5, ...), whole (epoch and first
 * slot given) or in the form of a log value (both 0). */
static struct voters voters_of(size_t n, uint64_t epoch, uint64_t first_slot)
{
    struct voters v = { .epoch = epoch, .first_slot = first_slot };

    for (size_t i = 0; i < n; i++) {
        struct voter *x = &v.v[v.n++];
        x->node = (struct node_info){ .id = (uint32_t)(4 + i),
                                      .role = ROLE_ACCEPTOR,
                                      .port = (uint16_t)(4001 + i) };
        snprintf(x->node.name, sizeof x->node.name, "acceptor%zu", i + 1);
        snprintf(x->node.host, sizeof x->node.host, "acceptor%zu.paxos", i + 1);
        snprintf(x->member, sizeof x->member, "%016zx", 0xa0 + i);
    }
    return v;
}

/* A chain: the founding configuration of n voters, then, when later is
 * not 0, one of later voters chosen at slot at (epoch 2). */
static struct voters_chain chain_of(size_t n, size_t later, uint64_t at)
{
    struct voters_chain ch = { 0 };

    ch.c[ch.n++] = voters_of(n, 1, 1);
    if (later)
        ch.c[ch.n++] = voters_of(later, 2, at + VOTERS_ALPHA);
    return ch;
}

/* Entries cycling through the tricky values, every third one a no-op. */
static struct msg_entry *make_entries(size_t n, bool with_ballot)
{
    struct msg_entry *entries = calloc(n, sizeof *entries);

    assert_non_null(entries);
    for (size_t i = 0; i < n; i++) {
        entries[i].slot = i + 1;
        if (with_ballot)
            entries[i].ballot = (struct ballot){ (uint32_t)i + 1, (uint32_t)(i % 3) + 1 };
        entries[i].value = i % 3 == 2 ? noop_value
                                       : client_value(tricky_values[i % N_TRICKY],
                                                      i % 2 ? "client1" : "9", 17 + i);
    }
    return entries;
}

static void assert_value_equal(const struct pvalue *want, const struct pvalue *got)
{
    assert_true(pvalue_equal(want, got));
    if (!pvalue_is_noop(want)) {
        assert_int_equal(want->seq, got->seq);
        assert_string_equal(want->data, got->data);
    }
}

static void assert_voters_equal(const struct voters *want,
                                const struct voters *got)
{
    if (!want || !got) {
        assert_ptr_equal(want, got);
        return;
    }
    assert_int_equal(want->epoch, got->epoch);
    assert_int_equal(want->first_slot, got->first_slot);
    assert_true(voters_same(want, got));
    for (size_t i = 0; i < want->n; i++) {
        assert_string_equal(want->v[i].node.name, got->v[i].node.name);
        assert_string_equal(want->v[i].node.host, got->v[i].node.host);
        assert_int_equal(want->v[i].node.port, got->v[i].node.port);
    }
}

static void assert_chain_equal(const struct voters_chain *want,
                               const struct voters_chain *got)
{
    if (!want || !got) {
        assert_ptr_equal(want, got);
        return;
    }
    assert_int_equal(want->n, got->n);
    for (size_t i = 0; i < want->n; i++)
        assert_voters_equal(&want->c[i], &got->c[i]);
}

static void assert_msg_equal(const struct msg *want, const struct msg *got)
{
    assert_int_equal(want->type, got->type);
    assert_int_equal(want->from, got->from);
    assert_int_equal(want->ok, got->ok);
    assert_int_equal(ballot_cmp(want->ballot, got->ballot), 0);
    assert_int_equal(want->from_slot, got->from_slot);
    assert_int_equal(want->upto, got->upto);
    assert_int_equal(want->commit, got->commit);
    assert_int_equal(want->trimmed, got->trimmed);
    assert_int_equal(want->slot, got->slot);
    assert_value_equal(&want->value, &got->value);
    assert_string_equal(want->member, got->member);
    assert_string_equal(want->cluster, got->cluster);
    assert_int_equal(want->active, got->active);
    assert_chain_equal(want->chain, got->chain);
    assert_voters_equal(want->founding, got->founding);
    assert_int_equal(want->n_entries, got->n_entries);
    for (size_t i = 0; i < want->n_entries; i++) {
        assert_int_equal(want->entries[i].slot, got->entries[i].slot);
        assert_int_equal(ballot_cmp(want->entries[i].ballot, got->entries[i].ballot), 0);
        assert_value_equal(&want->entries[i].value, &got->entries[i].value);
    }
}

static void assert_msg_empty(const struct msg *m)
{
    assert_null(m->entries);
    assert_int_equal(m->n_entries, 0);
    assert_null(m->value.data);
    assert_null(m->value.client);
    assert_int_equal(m->from, 0);
    assert_null(m->chain);
    assert_null(m->founding);
}

static void roundtrip(const struct msg *in)
{
    struct msg out;
    char err[256] = "";
    char *text = msg_encode(in);

    assert_non_null(text);
    if (msg_decode(in->type, text, strlen(text), MAX_VALUE, &out, err, sizeof err) != 0)
        fail_msg("decode of %s failed: %s", text, err);
    assert_msg_equal(in, &out);
    msg_free(&out);
    free(text);
}

/* Decoding text as type must fail with a reason containing want. */
static void expect_reject_len(enum msg_type type, const char *text, size_t len,
                              size_t max_value, const char *want)
{
    struct msg m;
    char err[256] = "";

    if (msg_decode(type, text, len, max_value, &m, err, sizeof err) == 0) {
        msg_free(&m);
        fail_msg("accepted: %.200s", text);
    }
    assert_true(err[0] != '\0');
    if (!strstr(err, want))
        fail_msg("reason '%s' lacks '%s' for %.200s", err, want, text);
    assert_msg_empty(&m);
}

static void expect_reject(enum msg_type type, const char *text, const char *want)
{
    expect_reject_len(type, text, strlen(text), MAX_VALUE, want);
}

static void decode_ok(enum msg_type type, const char *text, struct msg *m)
{
    char err[256] = "";

    if (msg_decode(type, text, strlen(text), MAX_VALUE, m, err, sizeof err) != 0)
        fail_msg("rejected %s: %s", text, err);
}

/* A string of n copies of c; the caller frees it. */
static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* ---- round trips ---- */

static void test_roundtrip_peer_messages(void **state)
{
    struct msg_entry *plain = make_entries(9, false);
    struct msg_entry *with_ballots = make_entries(9, true);
    struct voters_chain grown = chain_of(3, 4, 30), first = chain_of(3, 0, 0);
    struct voters founding = first.c[0];
    const struct msg messages[] = {
        { .type = MSG_PREPARE, .from = 1, .ballot = { 3, 1 }, .from_slot = 5 },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 },
          .commit = 39, .entries = with_ballots, .n_entries = 9,
          .member = MEMBER, .cluster = CLUSTER, .chain = &grown },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 },
          .member = MEMBER, .cluster = CLUSTER, .chain = &first },
        { .type = MSG_PROMISE, .from = 5, .ok = false,
          .ballot = { UINT32_MAX, 2 }, .member = MEMBER, .cluster = CLUSTER,
          .chain = &first },
        { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 }, .commit = 12,
          .entries = plain, .n_entries = 9, .chain = &grown },
        { .type = MSG_ACCEPTED, .from = 6, .ok = true, .ballot = { 3, 1 },
          .member = MEMBER },
        { .type = MSG_ACCEPTED, .from = 6, .ok = false, .ballot = { 4, 2 },
          .member = MEMBER },
        { .type = MSG_LEARN, .from = 2, .ballot = { 7, 2 }, .commit = INT64_MAX,
          .entries = plain, .n_entries = 9 },
        { .type = MSG_HEARTBEAT, .from = 3, .ballot = { 1, 3 }, .commit = 0,
          .chain = &first },
        { .type = MSG_LISTING, .from = 5, .ballot = { 2, 2 }, .commit = 4,
          .from_slot = 1, .upto = 9, .trimmed = 3, .entries = with_ballots,
          .n_entries = 9, .member = MEMBER, .cluster = CLUSTER,
          .chain = &grown, .founding = &founding },
        { .type = MSG_LEARN, .from = 2, .ballot = { 1, 2 }, .commit = 1 },
        /* an admitted acceptor's identity, and a new one's */
        { .type = MSG_IDENTITY, .from = 4, .member = MEMBER, .active = true,
          .commit = 39, .cluster = CLUSTER, .chain = &grown,
          .founding = &founding },
        { .type = MSG_IDENTITY, .from = 9, .member = MEMBER },
    };

    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        roundtrip(&messages[i]);
    free(plain);
    free(with_ballots);
}

/* Configurations travel whole (epoch, first slot, every voter's node and
 * member identity), up to the most configurations a chain holds, each
 * with the most voters a configuration may have. */
static void test_roundtrip_largest_chain(void **state)
{
    struct voters_chain biggest = { 0 };
    struct msg heartbeat = { .type = MSG_HEARTBEAT, .from = 1,
                             .ballot = { 2, 1 }, .commit = 7,
                             .chain = &biggest };

    for (uint64_t i = 0; i < VOTERS_CHAIN_MAX; i++)
        biggest.c[biggest.n++] = voters_of(VOTERS_MAX, UINT32_MAX - 3 + i,
                                           INT64_MAX - 3 + i);
    roundtrip(&heartbeat);
}

/* A configuration chosen in the log is a value of the cluster's own
 * writer: it travels in entries (ACCEPT, LEARN, PROMISE, LISTING)
 * like any value. */
static void test_roundtrip_configuration_values_in_entries(void **state)
{
    struct voters v = voters_of(4, 0, 0);
    struct voters_chain first = chain_of(3, 0, 0);
    struct msg_entry e[2] = { { .slot = 8 }, { .slot = 9 } }, with_ballots[2];

    assert_int_equal(voters_to_value(&v, &e[0].value), 0);
    e[1].value = client_value("after", "9", 3);
    roundtrip(&(struct msg){ .type = MSG_ACCEPT, .from = 1, .ballot = { 2, 1 },
                             .commit = 7, .entries = e, .n_entries = 2,
                             .chain = &first });
    roundtrip(&(struct msg){ .type = MSG_LEARN, .from = 1, .ballot = { 2, 1 },
                             .commit = 9, .entries = e, .n_entries = 2 });
    memcpy(with_ballots, e, sizeof e);
    with_ballots[0].ballot = with_ballots[1].ballot = (struct ballot){ 2, 1 };
    roundtrip(&(struct msg){ .type = MSG_PROMISE, .from = 4, .ok = true,
                             .ballot = { 3, 2 }, .commit = 7,
                             .entries = with_ballots, .n_entries = 2,
                             .member = MEMBER, .cluster = CLUSTER,
                             .chain = &first });
    pvalue_free(&e[0].value);
}

static void test_roundtrip_client_messages(void **state)
{
    for (size_t i = 0; i < N_TRICKY; i++) {
        struct msg propose = { .type = MSG_PROPOSE,
                               .value = client_value(tricky_values[i], "9", 17) };
        struct msg chosen = { .type = MSG_CHOSEN, .slot = 40 + i, .ballot = { 2, 1 },
                              .from = 1, .value = propose.value };
        roundtrip(&propose);
        roundtrip(&chosen);
    }
    roundtrip(&(struct msg){ .type = MSG_CHOSEN, .slot = 3, .ballot = { 1, 1 },
                             .from = 2, .value = noop_value });
}

/* A client node's batch and the leader's answer to it, write by write. */
static void test_roundtrip_writes_and_results(void **state)
{
    struct msg_entry writes[N_TRICKY];
    struct msg_result results[] = {
        { .slot = 12, .ballot = { 3, 1 } },
        { .status = 504, .error = (char *)"leadership lost" },
    };
    struct msg in = { .type = MSG_WRITES, .from = 9, .entries = writes,
                      .n_entries = N_TRICKY }, out;
    struct msg answer = { .type = MSG_WRITTEN, .from = 1, .results = results,
                          .n_results = 2 };
    char *text;

    for (size_t i = 0; i < N_TRICKY; i++)
        writes[i] = (struct msg_entry){
            .value = client_value(tricky_values[i], "9", 100 + i) };
    assert_non_null(text = msg_encode(&in));
    decode_ok(MSG_WRITES, text, &out);
    assert_int_equal(out.n_entries, N_TRICKY);
    for (size_t i = 0; i < N_TRICKY; i++) {
        assert_string_equal(out.entries[i].value.data, tricky_values[i]);
        assert_string_equal(out.entries[i].value.client, "9");
        assert_int_equal(out.entries[i].value.seq, 100 + i);
    }
    msg_free(&out);
    free(text);

    assert_non_null(text = msg_encode(&answer));
    decode_ok(MSG_WRITTEN, text, &out);
    assert_int_equal(out.from, 1);
    assert_int_equal(out.n_results, 2);
    assert_int_equal(out.results[0].slot, 12);
    assert_int_equal(out.results[0].ballot.round, 3);
    assert_int_equal(out.results[1].slot, 0);
    assert_int_equal(out.results[1].status, 504);
    assert_string_equal(out.results[1].error, "leadership lost");
    msg_free(&out);
    free(text);
}

static void test_bad_writes_and_results_are_rejected(void **state)
{
    expect_reject(MSG_WRITES, "{\"from\":9}", "writes");
    expect_reject(MSG_WRITES, "{\"from\":9,\"writes\":{}}", "array");
    expect_reject(MSG_WRITES, "{\"from\":9,\"writes\":[{\"value\":\"x\"}]}",
                  "client_id");
    expect_reject(MSG_WRITES, "{\"from\":9,\"writes\":[{\"value\":\"x\","
                  "\"client_id\":\"#voters\",\"seq\":1}]}", "'#'");
    expect_reject(MSG_WRITTEN, "{\"from\":1,\"results\":[{\"status\":200,"
                  "\"error\":\"\"}]}", "status");
    expect_reject(MSG_WRITTEN, "{\"from\":1,\"results\":[{\"slot\":0,"
                  "\"ballot\":{\"round\":1,\"node\":1}}]}", "slot");
}

static void test_propose_without_client_stays_anonymous(void **state)
{
    struct msg in = { .type = MSG_PROPOSE, .value = client_value("x", NULL, 0) };
    struct msg out;
    char *text = msg_encode(&in);

    assert_non_null(text);
    assert_string_equal(text, "{\"value\":\"x\",\"seq\":0}");
    decode_ok(MSG_PROPOSE, text, &out);
    assert_string_equal(out.value.data, "x");
    assert_null(out.value.client);
    msg_free(&out);
    free(text);
}

static void test_encoding_is_compact_and_exact(void **state)
{
    struct msg_entry entries[] = {
        { .slot = 1, .value = client_value("a/b", "9", 17) },
        { .slot = 2, .value = noop_value },
    };
    struct voters_chain one = chain_of(1, 0, 0);
    struct msg heartbeat = { .type = MSG_HEARTBEAT, .from = 2, .ok = true,
                             .ballot = { 3, 2 }, .commit = 7, .slot = 99,
                             .chain = &one };
    struct msg accept = { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 },
                          .commit = 0, .entries = entries, .n_entries = 2,
                          .chain = &one };
    struct msg accepted = { .type = MSG_ACCEPTED, .from = 4, .ok = true,
                            .ballot = { 3, 1 }, .member = MEMBER,
                            .cluster = CLUSTER, .chain = &one };
    char *text = msg_encode(&heartbeat);

#define ONE_VOTER "{\"epoch\":1,\"first_slot\":1,\"voters\":[{\"id\":4," \
                  "\"name\":\"acceptor1\",\"host\":\"acceptor1.paxos\"," \
                  "\"port\":4001,\"member\":\"00000000000000a0\"}]}"
    assert_string_equal(text, "{\"from\":2,\"ballot\":{\"round\":3,"
                              "\"node\":2},\"commit\":7,\"configs\":["
                              ONE_VOTER "]}");
    free(text);
    text = msg_encode(&accept);
    assert_string_equal(text, "{\"from\":1,\"ballot\":{\"round\":3,\"node\":1},\"commit\":0,"
                              "\"entries\":[{\"slot\":1,\"value\":\"a/b\",\"client_id\":\"9\","
                              "\"seq\":17},{\"slot\":2,\"noop\":true}],"
                              "\"configs\":[" ONE_VOTER "]}");
    free(text);
    /* only the fields of the type: an ACCEPTED names the member alone */
    text = msg_encode(&accepted);
    assert_string_equal(text, "{\"from\":4,\"ok\":true,\"ballot\":{\"round\":3,\"node\":1},"
                              "\"member\":\"" MEMBER "\"}");
    free(text);
#undef ONE_VOTER
}

/* A learner tells a client node only where its writes went: [slot, seq]
 * pairs, without the values the client already has. */
static void test_notify_carries_slots_and_seqs(void **state)
{
    struct msg_entry e[2] = {
        { .slot = 12, .value = client_value("first", "9", 17) },
        { .slot = 13, .value = client_value("second", "9", INT64_MAX) },
    };
    struct msg notify = { .type = MSG_NOTIFY, .from = 7, .entries = e,
                          .n_entries = 2 };
    char *text = msg_encode(&notify);
    struct msg back;

    assert_string_equal(text, "{\"from\":7,\"applied\":[[12,17],"
                              "[13,9223372036854775807]]}");
    decode_ok(MSG_NOTIFY, text, &back);
    assert_int_equal(back.from, 7);
    assert_int_equal(back.n_entries, 2);
    assert_int_equal(back.entries[0].slot, 12);
    assert_int_equal(back.entries[0].value.seq, 17);
    assert_null(back.entries[0].value.data);
    assert_int_equal(back.entries[1].slot, 13);
    assert_true(back.entries[1].value.seq == INT64_MAX);
    msg_free(&back);
    free(text);
    decode_ok(MSG_NOTIFY, "{\"from\":7,\"applied\":[]}", &back);
    assert_int_equal(back.n_entries, 0);
    msg_free(&back);
    expect_reject(MSG_NOTIFY, "{\"from\":7}", "field 'applied' is missing");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":{}}",
                  "field 'applied' must be an array");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1,2],3]}",
                  "field 'applied[1]' must be [slot, seq]");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1]]}",
                  "field 'applied[0]' must be [slot, seq]");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1,2,3]]}",
                  "field 'applied[0]' must be [slot, seq]");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[0,2]]}",
                  "field 'applied[0][0]' must be in 1..");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1,9223372036854775808]]}",
                  "field 'applied[0][1]' must be in 0..9223372036854775807");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1,-2]]}",
                  "field 'applied[0][1]' must be a non-negative integer");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"applied\":[[1,\"2\"]]}",
                  "field 'applied[0][1]' must be a non-negative integer");
}

/* Values are written as json-c writes them, byte for byte (every ASCII
 * byte, one at a time and all together), and read back unchanged. */
static void test_values_are_escaped_as_json_c_escapes_them(void **state)
{
    char all[128];

    for (int c = 1; c < 128; c++)
        all[c - 1] = (char)c;
    all[127] = '\0';
    for (int c = 0; c < 128; c++) {
        char one[2] = { (char)c, '\0' };
        const char *data = c ? one : all;
        struct msg propose = { .type = MSG_PROPOSE,
                               .value = client_value(data, NULL, 0) };
        json_object *expect = json_object_new_object();
        char *text = msg_encode(&propose);
        struct msg back;
        char err[160];

        json_object_object_add(expect, "value", json_object_new_string(data));
        json_object_object_add(expect, "seq", json_object_new_uint64(0));
        assert_string_equal(text, json_object_to_json_string_ext(
            expect, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        assert_int_equal(msg_decode(MSG_PROPOSE, text, strlen(text), MAX_VALUE,
                                    &back, err, sizeof err), 0);
        assert_string_equal(back.value.data, data);
        msg_free(&back);
        json_object_put(expect);
        free(text);
    }
}

static void test_full_batch_roundtrips(void **state)
{
    struct msg_entry *entries = make_entries(512, false);
    struct voters_chain grown = chain_of(3, 5, 90);
    struct msg accept = { .type = MSG_ACCEPT, .from = 1, .ballot = { 9, 1 },
                          .commit = 100, .entries = entries, .n_entries = 512,
                          .chain = &grown };

    roundtrip(&accept);
    free(entries);
}

/* ---- lenient PROPOSE ---- */

static void test_propose_numeric_client_id(void **state)
{
    struct msg m;

    decode_ok(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":9,\"seq\":3}", &m);
    assert_string_equal(m.value.client, "9");
    assert_int_equal(m.value.seq, 3);
    msg_free(&m);

    decode_ok(MSG_PROPOSE, "{\"value\":\"v\"}", &m);
    assert_string_equal(m.value.data, "v");
    assert_null(m.value.client);
    assert_int_equal(m.value.seq, 0);
    msg_free(&m);

    decode_ok(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":\"c1\"}", &m);
    assert_string_equal(m.value.client, "c1");
    assert_int_equal(m.value.seq, 0);
    msg_free(&m);
}

static void test_unknown_fields_and_length_are_honoured(void **state)
{
    const char *text = "{\"from\":1,\"extra\":{\"a\":[1]},\"ballot\":{\"round\":1,"
                       "\"node\":1,\"x\":\"y\"},\"from_slot\":2}GARBAGE";
    struct msg m;
    char err[128];

    /* Only len bytes are read: the garbage after them is not part of it. */
    assert_int_equal(msg_decode(MSG_PREPARE, text, strlen(text) - strlen("GARBAGE"),
                                MAX_VALUE, &m, err, sizeof err), 0);
    assert_int_equal(m.from_slot, 2);
    msg_free(&m);
    decode_ok(MSG_PREPARE, " \n{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                           "\"from_slot\":2}\r\n", &m);
    msg_free(&m);
}

/* ---- rejections ---- */

static const char prepare_ok[] = "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},\"from_slot\":1}";

static void test_reject_malformed_json(void **state)
{
    const char with_nul[] = "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},\"from_slot\":1}\0x";

    expect_reject(MSG_PREPARE, "{\"from\":1,", "malformed JSON");
    expect_reject(MSG_PREPARE, "{\"from\":1 \"ballot\":2}", "malformed JSON");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1} x", "malformed JSON");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1}{}", "malformed JSON");
    expect_reject_len(MSG_PREPARE, with_nul, sizeof with_nul - 1, MAX_VALUE, "trailing");
    expect_reject(MSG_PREPARE, "[1,2]", "JSON object");
    expect_reject(MSG_PREPARE, "\"text\"", "JSON object");
    expect_reject(MSG_PREPARE, "null", "JSON object");
    expect_reject(MSG_PREPARE, "", "JSON object");
    expect_reject(MSG_PREPARE, "  \n", "JSON object");
    expect_reject(MSG_PROPOSE, "{\"value\":\"\xff\xfe\"}", "malformed JSON");
    expect_reject(MSG_PROPOSE, "{\"value\":\"a\\u0000b\"}", "NUL");
    expect_reject_len((enum msg_type)99, prepare_ok, strlen(prepare_ok), MAX_VALUE,
                      "unknown message type");
}

static void test_reject_wrong_types_and_ranges(void **state)
{
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":\"1.1\",\"from_slot\":1}",
                  "field 'ballot' must be an object");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":4294967296,\"node\":1},"
                               "\"from_slot\":1}", "ballot.round");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":-1,\"node\":1},"
                               "\"from_slot\":1}",
                  "field 'ballot.round' must be a non-negative integer");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":\"1\"},"
                               "\"from_slot\":1}", "ballot.node");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1.5}", "from_slot");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1e3}", "from_slot");
    expect_reject(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":9223372036854775808}", "from_slot");
    expect_reject(MSG_PREPARE, "{\"from\":-1,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1}", "from");
    expect_reject(MSG_PREPARE, "{\"from\":true,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"from_slot\":1}", "from");
    expect_reject(MSG_ACCEPTED, "{\"from\":4,\"ok\":\"yes\",\"ballot\":{\"round\":1,"
                                "\"node\":1}}", "field 'ok'");
    expect_reject(MSG_ACCEPTED, "{\"from\":4,\"ok\":1,\"ballot\":{\"round\":1,"
                                "\"node\":1}}", "field 'ok'");
    expect_reject(MSG_HEARTBEAT, "{\"from\":4,\"ballot\":{\"round\":1,\"node\":1},"
                                 "\"commit\":null}", "field 'commit' is missing");
    expect_reject(MSG_PROPOSE, "{\"value\":5}", "field 'value' must be a string");
    expect_reject(MSG_PROPOSE, "{\"value\":{\"a\":1}}", "field 'value' must be a string");
    expect_reject(MSG_PROPOSE, "{\"noop\":true}", "field 'value' is missing");
    expect_reject(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":-9}", "client_id");
    expect_reject(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":[9]}", "client_id");
    expect_reject(MSG_PROPOSE, "{\"value\":\"v\",\"seq\":-1}", "field 'seq'");
}

#define LEARN_HEAD "{\"from\":7,\"ballot\":{\"round\":1,\"node\":1}," \
                   "\"commit\":0,\"entries\":"

static void test_reject_bad_entries(void **state)
{
    expect_reject(MSG_LEARN, LEARN_HEAD "{}}",
                  "field 'entries' must be an array");
    expect_reject(MSG_LEARN, LEARN_HEAD "[1]}", "entries[0]");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"value\":\"v\","
                              "\"seq\":1}]}", "field 'entries[0].client_id' is missing");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"value\":\"v\","
                              "\"client_id\":9,\"seq\":1}]}", "entries[0].client_id");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"value\":\"v\","
                              "\"client_id\":\"9\"}]}", "entries[0].seq");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"noop\":false}]}",
                  "entries[0].noop");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1}]}",
                  "entries[0].value");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":0,\"noop\":true}]}",
                  "entries[0].slot");
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":-3,\"noop\":true}]}",
                  "entries[0].slot");
    /* The first entry's strings are allocated before the second fails. */
    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"value\":\"v\","
                              "\"client_id\":\"9\",\"seq\":1},{\"slot\":2,\"value\":"
                              "\"w\",\"client_id\":\"9\"}]}", "entries[1].seq");
    expect_reject(MSG_LISTING, "{\"from\":5,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"commit\":0,\"from_slot\":1,\"upto\":1,\"trimmed\":0,\"entries\":"
                               "[{\"slot\":1,\"noop\":true}]}", "entries[0].ballot");
    expect_reject(MSG_LISTING, "{\"from\":5,\"ballot\":{\"round\":1,\"node\":1},"
                               "\"commit\":0,\"from_slot\":1,\"upto\":1,\"trimmed\":0,\"entries\":"
                               "[{\"slot\":1,\"ballot\":{\"round\":1},\"noop\":true}]}",
                  "entries[0].ballot.node");
}

/* Six levels (object > configs > config > voters > voter > id, the
 * deepest message) and no more. */
static void test_reject_too_deep(void **state)
{
    struct msg m;

    expect_reject(MSG_LEARN, LEARN_HEAD "[{\"slot\":1,\"noop\":true,"
                              "\"x\":{\"y\":[[1]]}}]}", "too deep");
    expect_reject(MSG_PREPARE, "{\"x\":[[[[[1]]]]]}", "too deep");
    decode_ok(MSG_PREPARE, "{\"from\":1,\"ballot\":{\"round\":1,\"node\":1},"
                           "\"from_slot\":1,\"x\":[[[[1]]]]}", &m);
    msg_free(&m);
}

static void test_reject_oversized(void **state)
{
    char *big = repeat('a', 70000);
    char *long_id = repeat('c', 65);
    char *max_id = repeat('c', 64);
    char text[80000];
    struct msg m;

    snprintf(text, sizeof text, "{\"value\":\"%s\"}", big);
    expect_reject(MSG_PROPOSE, text, "is 70000 bytes, the limit is 65536");
    snprintf(text, sizeof text, LEARN_HEAD "[{\"slot\":1,\"noop\":true},"
                                "{\"slot\":2,\"value\":\"%s\",\"client_id\":\"9\","
                                "\"seq\":1}]}", big);
    expect_reject(MSG_LEARN, text, "the limit is 65536");
    expect_reject_len(MSG_PROPOSE, "{\"value\":\"abcd\"}", strlen("{\"value\":\"abcd\"}"), 3,
                      "the limit is 3");

    snprintf(text, sizeof text, "{\"value\":\"v\",\"client_id\":\"%s\"}", long_id);
    expect_reject(MSG_PROPOSE, text, "client_id");
    snprintf(text, sizeof text, "{\"value\":\"v\",\"client_id\":\"%s\"}", max_id);
    decode_ok(MSG_PROPOSE, text, &m);
    assert_string_equal(m.value.client, max_id);
    msg_free(&m);
    free(big);
    free(long_id);
    free(max_id);
}

static void test_entry_count_limit(void **state)
{
    struct msg_entry *entries = calloc(100001, sizeof *entries);
    struct msg notify = { .type = MSG_NOTIFY, .from = 7, .entries = entries,
                          .n_entries = 100000 };
    char *text;

    assert_non_null(entries);
    for (size_t i = 0; i <= 100000; i++)
        entries[i].slot = i + 1;
    roundtrip(&notify);
    notify.n_entries = 100001;
    text = msg_encode(&notify);
    assert_non_null(text);
    expect_reject(MSG_NOTIFY, text, "the limit is 100000");
    free(text);
    free(entries);
}

/* Copies the keys of a JSON object into keys; returns how many. */
static size_t object_keys(json_object *obj, char keys[][32], size_t max)
{
    size_t n = 0;

    json_object_object_foreach(obj, key, val) {
        (void)val;
        assert_true(n < max);
        snprintf(keys[n++], sizeof keys[0], "%s", key);
    }
    return n;
}

/* Decoding copy without the key at path (entries[0].key when in_entry)
 * must fail, naming the field. */
static void expect_required(enum msg_type type, json_object *root, const char *key,
                            bool in_entry)
{
    json_object *copy = NULL, *entries = NULL, *holder;
    char want[64];

    assert_int_equal(json_object_deep_copy(root, &copy, NULL), 0);
    holder = copy;
    if (in_entry) {
        assert_true(json_object_object_get_ex(copy, "entries", &entries));
        holder = json_object_array_get_idx(entries, 0);
    }
    json_object_object_del(holder, key);
    snprintf(want, sizeof want, "field '%s%s' is missing", in_entry ? "entries[0]." : "",
             key);
    expect_reject(type, json_object_to_json_string(copy), want);
    json_object_put(copy);
}

/* Removing any one required field from a valid message, at the top level
 * or in its first entry, must be rejected. optional lists the top-level
 * keys that may be absent, each followed by a space. */
static void expect_each_field_required(const struct msg *valid, const char *optional)
{
    char *text = msg_encode(valid);
    json_object *root = json_tokener_parse(text);
    json_object *entries = NULL;
    char keys[16][32], spaced[40];
    size_t n_keys;

    assert_non_null(root);
    n_keys = object_keys(root, keys, 16);
    for (size_t i = 0; i < n_keys; i++) {
        snprintf(spaced, sizeof spaced, "%s ", keys[i]);
        if (!strstr(optional, spaced))
            expect_required(valid->type, root, keys[i], false);
    }
    if (json_object_object_get_ex(root, "entries", &entries) &&
        json_object_array_length(entries) > 0) {
        n_keys = object_keys(json_object_array_get_idx(entries, 0), keys, 16);
        for (size_t i = 0; i < n_keys; i++)
            expect_required(valid->type, root, keys[i], true);
    }
    json_object_put(root);
    free(text);
}

static void test_reject_missing_fields(void **state)
{
    struct msg_entry *plain = make_entries(2, false);
    struct msg_entry *with_ballots = make_entries(2, true);
    struct voters_chain grown = chain_of(3, 3, 1);
    struct voters founding = grown.c[0];
    const struct msg messages[] = {
        { .type = MSG_PREPARE, .from = 1, .ballot = { 3, 1 }, .from_slot = 5 },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 },
          .entries = with_ballots, .n_entries = 2, .member = MEMBER,
          .cluster = CLUSTER, .chain = &grown },
        { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 }, .commit = 1,
          .entries = plain, .n_entries = 2, .chain = &grown },
        { .type = MSG_ACCEPTED, .from = 6, .ok = true, .ballot = { 3, 1 },
          .member = MEMBER },
        { .type = MSG_LEARN, .from = 2, .ballot = { 7, 2 }, .commit = 2,
          .entries = plain, .n_entries = 2 },
        { .type = MSG_HEARTBEAT, .from = 3, .ballot = { 1, 3 }, .commit = 0,
          .chain = &grown },
        { .type = MSG_LISTING, .from = 5, .ballot = { 2, 2 }, .commit = 4,
          .from_slot = 1, .upto = 9, .entries = with_ballots, .n_entries = 2,
          .member = MEMBER, .cluster = CLUSTER, .chain = &grown,
          .founding = &founding },
        { .type = MSG_NOTIFY, .from = 7, .entries = plain, .n_entries = 2 },
        { .type = MSG_CHOSEN, .slot = 3, .ballot = { 1, 1 }, .from = 2,
          .value = client_value("v", "9", 1) },
        { .type = MSG_IDENTITY, .from = 4, .member = MEMBER, .active = true,
          .commit = 9, .cluster = CLUSTER, .chain = &grown,
          .founding = &founding },
    };

    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        enum msg_type t = messages[i].type;
        expect_each_field_required(&messages[i],
                                   t == MSG_PROMISE ? "entries " :
                                   t == MSG_CHOSEN ? "client_id seq " :
                                   t == MSG_IDENTITY ? "configs founding " :
                                   "");
    }
    free(plain);
    free(with_ballots);
}

/* ---- identities and configurations ---- */

/* A message of type type whose text is the fields before, then "key":
 * value. */
static void expect_field_rejected(enum msg_type type, const char *before,
                                  const char *key, const char *value,
                                  const char *want)
{
    char text[4096];

    snprintf(text, sizeof text, "{%s,\"%s\":%s}", before, key, value);
    expect_reject(type, text, want);
}

#define ACCEPTED_FIELDS "\"from\":6,\"ok\":true,\"ballot\":{\"round\":1,\"node\":1}"
#define HEARTBEAT_FIELDS "\"from\":1,\"ballot\":{\"round\":1,\"node\":1},\"commit\":0"
#define VOTER(id, member) "{\"id\":" #id ",\"name\":\"a\",\"host\":\"h\"," \
                          "\"port\":4001,\"member\":\"" member "\"}"

/* A member identity is exactly 16 lowercase hex digits: a vote is counted
 * under it, so nothing else may pass for one. */
static void test_reject_bad_member_identities(void **state)
{
    struct msg m;

    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member",
                          "\"0123456789ABCDEF\"", "16 lowercase hex digits");
    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member",
                          "\"0123456789abcde\"", "16 lowercase hex digits");
    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member",
                          "\"0123456789abcdeg\"", "16 lowercase hex digits");
    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member", "\"\"",
                          "16 lowercase hex digits");
    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member",
                          "\"0123456789abcdef0\"", "field 'member'");
    expect_field_rejected(MSG_ACCEPTED, ACCEPTED_FIELDS, "member", "12",
                          "field 'member' must be a string");
    decode_ok(MSG_ACCEPTED, "{" ACCEPTED_FIELDS ",\"member\":\"" MEMBER "\"}",
              &m);
    assert_string_equal(m.member, MEMBER);
    msg_free(&m);
}

/* A cluster identity is 16 hex digits too; only an acceptor not admitted
 * yet (IDENTITY) may give none. */
static void test_cluster_identity_may_be_empty_only_before_admission(void **state)
{
    struct voters_chain first = chain_of(3, 0, 0);
    struct msg promise = { .type = MSG_PROMISE, .from = 4, .ok = true,
                           .ballot = { 1, 1 }, .member = MEMBER,
                           .chain = &first };
    struct msg m;
    char *text = msg_encode(&promise);

    expect_reject(MSG_PROMISE, text, "field 'cluster' must be 16 lowercase hex digits");
    free(text);
    decode_ok(MSG_IDENTITY, "{\"from\":9,\"member\":\"" MEMBER "\","
                            "\"active\":false,\"commit\":0,\"cluster\":\"\"}", &m);
    assert_string_equal(m.cluster, "");
    assert_false(m.active);
    assert_null(m.chain);
    assert_null(m.founding);
    msg_free(&m);
    expect_reject(MSG_IDENTITY, "{\"from\":9,\"member\":\"" MEMBER "\","
                                "\"active\":false,\"commit\":0,\"cluster\":\"xyz\"}",
                  "field 'cluster' must be 16 lowercase hex digits");
}

/* A message's configurations are a chain: 1 to VOTERS_CHAIN_MAX of them,
 * each after the one before (a higher epoch and a later first slot),
 * each whole: an epoch, a first slot and 1 to VOTERS_MAX voters with
 * distinct node ids and valid member identities. */
static void test_reject_bad_configurations(void **state)
{
#define ONE(epoch, first) "{\"epoch\":" #epoch ",\"first_slot\":" #first \
                          ",\"voters\":[" VOTER(4, MEMBER) "]}"
    char many[4096] = "";

    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"voters\":[" VOTER(4, MEMBER) "]}]",
                          "field 'configs[0]' must have an epoch and a first "
                          "slot");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[" ONE(0, 1) "]", "configs[0].epoch");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"epoch\":1,\"voters\":[" VOTER(4, MEMBER)
                          "]}]", "configs[0].first_slot");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"epoch\":1,\"first_slot\":1,\"voters\":[]}]",
                          "must hold 1 to 31 voters");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"epoch\":1,\"first_slot\":1,\"voters\":["
                          VOTER(4, MEMBER) "," VOTER(4, "00000000000000b1")
                          "]}]", "names node 4 twice");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"epoch\":1,\"first_slot\":1,\"voters\":["
                          VOTER(4, "0123456789ABCDEF") "]}]",
                          "configs[0].voters[0].member");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[{\"epoch\":1,\"first_slot\":1,\"voters\":["
                          VOTER(0, MEMBER) "]}]", "configs[0].voters[0].id");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs", "[1]",
                          "field 'configs[0]' must be an object");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          ONE(1, 1), "field 'configs' must be an array");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs", "null",
                          "configs");
    /* a chain in order, and not */
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs", "[]",
                          "must hold 1 to 4 configurations");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[" ONE(1, 1) "," ONE(2, 1025) "," ONE(3, 2049) ","
                          ONE(4, 3073) "," ONE(5, 4097) "]",
                          "must hold 1 to 4 configurations");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[" ONE(2, 1025) "," ONE(2, 2049) "]",
                          "field 'configs[1]' must come after the one before");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs",
                          "[" ONE(1, 1025) "," ONE(2, 1025) "]",
                          "field 'configs[1]' must come after the one before");
    /* 32 voters: one too many */
    strcat(many, "[{\"epoch\":1,\"first_slot\":1,\"voters\":[");
    for (int i = 1; i <= VOTERS_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many),
                 "%s{\"id\":%d,\"name\":\"a\",\"host\":\"h\",\"port\":1,"
                 "\"member\":\"" MEMBER "\"}", i > 1 ? "," : "", i);
    strcat(many, "]}]");
    expect_field_rejected(MSG_HEARTBEAT, HEARTBEAT_FIELDS, "configs", many,
                          "must hold 1 to 31 voters");
    /* the founding configuration is one configuration, read the same way */
    expect_field_rejected(MSG_IDENTITY, "\"from\":4,\"member\":\"" MEMBER "\","
                          "\"active\":true,\"commit\":0,\"cluster\":\"" CLUSTER "\"",
                          "founding", "{\"voters\":[" VOTER(4, MEMBER) "]}",
                          "field 'founding' must have an epoch and a first slot");
#undef ONE
}

/* A client may not write as the cluster: a writer id that starts with
 * '#' is the cluster's own (configurations, VOTERS_WRITER). */
static void test_propose_refuses_the_clusters_writer_ids(void **state)
{
    struct msg m;
    char text[128];

    snprintf(text, sizeof text, "{\"value\":\"{\\\"voters\\\":[]}\","
                                "\"client_id\":\"%s\",\"seq\":1}", VOTERS_WRITER);
    expect_reject(MSG_PROPOSE, text, "must not start with '#'");
    expect_reject(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":\"#\"}",
                  "must not start with '#'");
    decode_ok(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":\"a#b\"}", &m);
    assert_string_equal(m.value.client, "a#b");
    msg_free(&m);
    decode_ok(MSG_PROPOSE, "{\"value\":\"v\",\"client_id\":35}", &m);
    assert_string_equal(m.value.client, "35");
    msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_peer_messages),
        cmocka_unit_test(test_roundtrip_largest_chain),
        cmocka_unit_test(test_roundtrip_configuration_values_in_entries),
        cmocka_unit_test(test_roundtrip_client_messages),
        cmocka_unit_test(test_values_are_escaped_as_json_c_escapes_them),
        cmocka_unit_test(test_notify_carries_slots_and_seqs),
        cmocka_unit_test(test_roundtrip_writes_and_results),
        cmocka_unit_test(test_bad_writes_and_results_are_rejected),
        cmocka_unit_test(test_propose_without_client_stays_anonymous),
        cmocka_unit_test(test_encoding_is_compact_and_exact),
        cmocka_unit_test(test_full_batch_roundtrips),
        cmocka_unit_test(test_propose_numeric_client_id),
        cmocka_unit_test(test_unknown_fields_and_length_are_honoured),
        cmocka_unit_test(test_reject_malformed_json),
        cmocka_unit_test(test_reject_wrong_types_and_ranges),
        cmocka_unit_test(test_reject_bad_entries),
        cmocka_unit_test(test_reject_too_deep),
        cmocka_unit_test(test_reject_oversized),
        cmocka_unit_test(test_entry_count_limit),
        cmocka_unit_test(test_reject_missing_fields),
        cmocka_unit_test(test_reject_bad_member_identities),
        cmocka_unit_test(test_cluster_identity_may_be_empty_only_before_admission),
        cmocka_unit_test(test_reject_bad_configurations),
        cmocka_unit_test(test_propose_refuses_the_clusters_writer_ids),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_codec.c -- unit tests for the message codec (common/codec.c).
 *
 * Every message type must survive encode -> decode unchanged, and every
 * kind of malformed input must be rejected with a reason, leaving the
 * message empty and nothing leaked (run under AddressSanitizer). */
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
    const struct msg messages[] = {
        { .type = MSG_PREPARE, .from = 1, .ballot = { 3, 1 }, .from_slot = 5 },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 },
          .entries = with_ballots, .n_entries = 9 },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 } },
        { .type = MSG_PROMISE, .from = 5, .ok = false, .ballot = { UINT32_MAX, 2 } },
        { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 }, .commit = 12,
          .entries = plain, .n_entries = 9 },
        { .type = MSG_ACCEPTED, .from = 6, .ok = true, .ballot = { 3, 1 } },
        { .type = MSG_ACCEPTED, .from = 6, .ok = false, .ballot = { 4, 2 } },
        { .type = MSG_LEARN, .from = 2, .ballot = { 7, 2 }, .commit = INT64_MAX,
          .entries = plain, .n_entries = 9 },
        { .type = MSG_HEARTBEAT, .from = 3, .ballot = { 1, 3 }, .commit = 0 },
        { .type = MSG_LISTING, .from = 5, .ballot = { 2, 2 }, .commit = 4,
          .from_slot = 1, .upto = 9, .trimmed = 3, .entries = with_ballots,
          .n_entries = 9 },
        { .type = MSG_NOTIFY, .from = 7, .entries = plain, .n_entries = 9 },
        { .type = MSG_LEARN, .from = 2, .ballot = { 1, 2 }, .commit = 1 },
    };

    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        roundtrip(&messages[i]);
    free(plain);
    free(with_ballots);
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
    struct msg heartbeat = { .type = MSG_HEARTBEAT, .from = 2, .ok = true,
                             .ballot = { 3, 2 }, .commit = 7, .slot = 99 };
    struct msg accept = { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 },
                          .commit = 0, .entries = entries, .n_entries = 2 };
    char *text = msg_encode(&heartbeat);

    assert_string_equal(text, "{\"from\":2,\"ballot\":{\"round\":3,\"node\":2},\"commit\":7}");
    free(text);
    text = msg_encode(&accept);
    assert_string_equal(text, "{\"from\":1,\"ballot\":{\"round\":3,\"node\":1},\"commit\":0,"
                              "\"entries\":[{\"slot\":1,\"value\":\"a/b\",\"client_id\":\"9\","
                              "\"seq\":17},{\"slot\":2,\"noop\":true}]}");
    free(text);
}

static void test_full_batch_roundtrips(void **state)
{
    struct msg_entry *entries = make_entries(512, false);
    struct msg accept = { .type = MSG_ACCEPT, .from = 1, .ballot = { 9, 1 },
                          .commit = 100, .entries = entries, .n_entries = 512 };

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

static void test_reject_bad_entries(void **state)
{
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":{}}",
                  "field 'entries' must be an array");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[1]}", "entries[0]");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"value\":\"v\","
                              "\"seq\":1}]}", "field 'entries[0].client_id' is missing");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"value\":\"v\","
                              "\"client_id\":9,\"seq\":1}]}", "entries[0].client_id");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"value\":\"v\","
                              "\"client_id\":\"9\"}]}", "entries[0].seq");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"noop\":false}]}",
                  "entries[0].noop");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1}]}",
                  "entries[0].value");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":0,\"noop\":true}]}",
                  "entries[0].slot");
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":-3,\"noop\":true}]}",
                  "entries[0].slot");
    /* The first entry's strings are allocated before the second fails. */
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"value\":\"v\","
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

static void test_reject_too_deep(void **state)
{
    expect_reject(MSG_NOTIFY, "{\"from\":7,\"entries\":[{\"slot\":1,\"noop\":true,"
                              "\"x\":{\"y\":[1]}}]}", "too deep");
    expect_reject(MSG_PREPARE, "{\"x\":[[[[1]]]]}", "too deep");
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
    snprintf(text, sizeof text, "{\"from\":7,\"entries\":[{\"slot\":1,\"noop\":true},"
                                "{\"slot\":2,\"value\":\"%s\",\"client_id\":\"9\","
                                "\"seq\":1}]}", big);
    expect_reject(MSG_NOTIFY, text, "the limit is 65536");
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
    const struct msg messages[] = {
        { .type = MSG_PREPARE, .from = 1, .ballot = { 3, 1 }, .from_slot = 5 },
        { .type = MSG_PROMISE, .from = 4, .ok = true, .ballot = { 3, 1 },
          .entries = with_ballots, .n_entries = 2 },
        { .type = MSG_ACCEPT, .from = 1, .ballot = { 3, 1 }, .commit = 1,
          .entries = plain, .n_entries = 2 },
        { .type = MSG_ACCEPTED, .from = 6, .ok = true, .ballot = { 3, 1 } },
        { .type = MSG_LEARN, .from = 2, .ballot = { 7, 2 }, .commit = 2,
          .entries = plain, .n_entries = 2 },
        { .type = MSG_HEARTBEAT, .from = 3, .ballot = { 1, 3 }, .commit = 0 },
        { .type = MSG_LISTING, .from = 5, .ballot = { 2, 2 }, .commit = 4,
          .from_slot = 1, .upto = 9, .entries = with_ballots, .n_entries = 2 },
        { .type = MSG_NOTIFY, .from = 7, .entries = plain, .n_entries = 2 },
        { .type = MSG_CHOSEN, .slot = 3, .ballot = { 1, 1 }, .from = 2,
          .value = client_value("v", "9", 1) },
    };

    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        expect_each_field_required(&messages[i],
                                   messages[i].type == MSG_PROMISE ? "entries " :
                                   messages[i].type == MSG_CHOSEN ? "client_id seq " : "");
    free(plain);
    free(with_ballots);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_peer_messages),
        cmocka_unit_test(test_roundtrip_client_messages),
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
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

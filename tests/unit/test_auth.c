/* test_auth.c -- peer message signatures: a known answer, tampering,
 * the replay window, replays, and malformed headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "net/auth.h"

#define SECRET "cluster-secret"
#define NOW 1700000000000LL
#define BODY "{\"a\":1}"

static struct auth *new_auth(void)
{
    struct auth *a = auth_new(SECRET, strlen(SECRET), 30000);

    assert_non_null(a);
    return a;
}

/* The value part of a signed header line. */
static const char *value_of(const char *line)
{
    return strchr(line, ':') + 2;
}

static void test_known_answer(void **state)
{
    struct auth *a = new_auth();
    char line[AUTH_HEADER_MAX];

    /* printf 'POST\n/accept\n1700000000000\n0000000000000001\n{"a":1}' |
     *     openssl dgst -sha256 -hmac cluster-secret */
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
        "t=1700000000000,n=0000000000000001,sig="
        "2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe49004",
        NOW), AUTH_OK);
    auth_sign(a, "POST", "/accept", BODY, strlen(BODY), NOW, line);
    assert_int_equal(strlen(line), strlen(AUTH_HEADER ": t=1700000000000,n=,sig=")
                                   + 16 + 64);
    assert_int_equal(strncmp(line, AUTH_HEADER ": t=1700000000000,n=",
                             strlen(AUTH_HEADER ": t=1700000000000,n=")), 0);
    auth_free(a);
}

/* The same message sent twice in one millisecond (a read's confirmation
 * round right after another) is signed differently each time, and both
 * copies are accepted: only a copy of one request is a replay. */
static void test_identical_messages_in_one_ms_both_pass(void **state)
{
    struct auth *a = new_auth();
    char first[AUTH_HEADER_MAX], second[AUTH_HEADER_MAX];

    auth_sign(a, "POST", "/accept", BODY, strlen(BODY), NOW, first);
    auth_sign(a, "POST", "/accept", BODY, strlen(BODY), NOW, second);
    assert_string_not_equal(first, second);
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
                                value_of(first), NOW), AUTH_OK);
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
                                value_of(second), NOW), AUTH_OK);
    auth_free(a);
}

static void test_good_signature_accepted_once(void **state)
{
    struct auth *a = new_auth();
    char line[AUTH_HEADER_MAX];

    auth_sign(a, "POST", "/accept", BODY, strlen(BODY), NOW, line);
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
                                value_of(line), NOW + 5), AUTH_OK);
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
                                value_of(line), NOW + 6), AUTH_REPLAYED);
    auth_free(a);
}

static void test_tampering_detected(void **state)
{
    struct auth *a = new_auth();
    struct auth *other = auth_new("another", 7, 30000);
    char line[AUTH_HEADER_MAX];

    auth_sign(a, "POST", "/accept", BODY, strlen(BODY), NOW, line);
    assert_int_equal(auth_check(a, "POST", "/accept", "{\"a\":2}", 7,
                                value_of(line), NOW), AUTH_BAD_SIGNATURE);
    assert_int_equal(auth_check(a, "POST", "/prepare", BODY, strlen(BODY),
                                value_of(line), NOW), AUTH_BAD_SIGNATURE);
    assert_int_equal(auth_check(a, "GET", "/accept", BODY, strlen(BODY),
                                value_of(line), NOW), AUTH_BAD_SIGNATURE);
    assert_int_equal(auth_check(other, "POST", "/accept", BODY, strlen(BODY),
                                value_of(line), NOW), AUTH_BAD_SIGNATURE);
    /* the signature is still unused: a good copy passes */
    assert_int_equal(auth_check(a, "POST", "/accept", BODY, strlen(BODY),
                                value_of(line), NOW), AUTH_OK);
    auth_free(other);
    auth_free(a);
}

static void test_replay_window(void **state)
{
    struct auth *a = new_auth();
    char old[AUTH_HEADER_MAX], future[AUTH_HEADER_MAX];

    auth_sign(a, "POST", "/learn", BODY, strlen(BODY), NOW - 30001, old);
    auth_sign(a, "POST", "/learn", BODY, strlen(BODY), NOW + 30001, future);
    assert_int_equal(auth_check(a, "POST", "/learn", BODY, strlen(BODY),
                                value_of(old), NOW), AUTH_EXPIRED);
    assert_int_equal(auth_check(a, "POST", "/learn", BODY, strlen(BODY),
                                value_of(future), NOW), AUTH_EXPIRED);
    auth_free(a);
}

static void test_missing_and_malformed(void **state)
{
    struct auth *a = new_auth();
    static const char *const bad[] = {
        "", "t=", "t=1,sig=", "sig=00,t=1", "t=abc,sig=" "00",
        /* the signature format before nonces: no n= */
        "t=1700000000000,sig=2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe49004",
        "t=1700000000000,n=000000000000001,sig="
        "2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe49004",
        "t=1700000000000,n=000000000000000g,sig="
        "2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe49004",
        "t=1700000000000,n=0000000000000001,sig="
        "zz72dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe49004",
        "t=1700000000000,n=0000000000000001,sig="
        "2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe4900",
        "t=1700000000000,n=0000000000000001,sig="
        "2872dbac9a3d983f0ef24d768835878c8ceb52bdf110a513ec797a331fe4900400",
    };

    assert_int_equal(auth_check(a, "POST", "/x", "", 0, NULL, NOW), AUTH_MISSING);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(auth_check(a, "POST", "/x", "", 0, bad[i], NOW),
                         AUTH_MALFORMED);
    auth_free(a);
}

static void test_token_comparison(void **state)
{
    assert_true(auth_equal("token-1", "token-1"));
    assert_false(auth_equal("token-1", "token-2"));
    assert_false(auth_equal("token", "token-1"));
    assert_false(auth_equal("", "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_identical_messages_in_one_ms_both_pass),
        cmocka_unit_test(test_good_signature_accepted_once),
        cmocka_unit_test(test_tampering_detected),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_missing_and_malformed),
        cmocka_unit_test(test_token_comparison),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

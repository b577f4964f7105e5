/* fuzz_auth.c -- libFuzzer harness for the signature header check
 * (auth_check in common/auth.c), with a fixed secret and a fixed clock.
 *
 * Input: "VALUE\nMETHOD\nPATH\nBODY": the X-Paxos-Signature value as a
 * request would carry it, then the request it claims to sign (the body
 * is the rest, newlines and NUL bytes included; the other three are C
 * strings, cut at a NUL). A fresh struct auth per input keeps the replay
 * cache from carrying over. Checks:
 *  - the fuzzed value gets a known result, and one accepted once is
 *    refused as a replay the second time;
 *  - auth_sign's header for the same request fits AUTH_HEADER_MAX and is
 *    accepted (unless the fuzzed value was that very header), then
 *    refused as a replay;
 *  - the signature binds everything it claims to cover: the same
 *    signature with one hex digit changed, another time, another nonce,
 *    another method, another path or another body is refused as a bad
 *    signature. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/auth.h"

#define SECRET "fuzz-cluster-secret"
#define WINDOW_MS 30000
#define NOW_MS INT64_C(1700000000000)
#define PREFIX AUTH_HEADER ": "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *value)
{
    fprintf(stderr, "fuzz_auth: %s\n  value: %.200s\n", what, value);
    abort();
}

/* The next line of [*p, end) as a malloc'd C string; *p moves past it. */
static char *take_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = strndup(*p, len);

    if (!s)
        fail("out of memory", "");
    *p += nl ? len + 1 : len;
    return s;
}

static void expect(struct auth *a, const char *method, const char *path, const char *body,
                   size_t len, const char *value, enum auth_result want, const char *what)
{
    enum auth_result got = auth_check(a, method, path, body, len, value, NOW_MS);

    if (got != want) {
        fprintf(stderr, "fuzz_auth: got '%s', want '%s'\n", auth_result_text(got),
                auth_result_text(want));
        fail(what, value);
    }
}

/* The signed request altered in each covered part must be refused. */
static void check_binding(struct auth *a, const char *method, const char *path,
                          const char *body, size_t len, const char *value)
{
    size_t sig_at = (size_t)(strstr(value, ",sig=") - value) + 5;
    size_t n = strlen(method) + strlen(path) + 2;
    char *other = malloc(n > len + 1 ? n : len + 1);
    char changed[AUTH_HEADER_MAX];

    if (!other)
        fail("out of memory", value);
    snprintf(changed, sizeof changed, "%s", value);
    changed[sig_at + len % 64] = changed[sig_at + len % 64] == '0' ? '1' : '0';
    expect(a, method, path, body, len, changed, AUTH_BAD_SIGNATURE, "a changed digit passed");

    snprintf(changed, sizeof changed, "t=%" PRId64 "%s", NOW_MS + 1,
             strstr(value, ",n="));
    expect(a, method, path, body, len, changed, AUTH_BAD_SIGNATURE, "another time passed");

    snprintf(changed, sizeof changed, "%s", value);
    changed[sig_at - 6] = changed[sig_at - 6] == '0' ? '1' : '0';
    expect(a, method, path, body, len, changed, AUTH_BAD_SIGNATURE, "another nonce passed");

    snprintf(other, n, "%s%s", method, "X");
    expect(a, other, path, body, len, value, AUTH_BAD_SIGNATURE, "another method passed");
    snprintf(other, n, "%s%s", path, "X");
    expect(a, method, other, body, len, value, AUTH_BAD_SIGNATURE, "another path passed");
    memcpy(other, body, len);
    other[len] = 'X';
    expect(a, method, path, other, len + 1, value, AUTH_BAD_SIGNATURE, "another body passed");
    free(other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *value = take_line(&p, end);
    char *method = take_line(&p, end);
    char *path = take_line(&p, end);
    const char *body = p;
    size_t len = (size_t)(end - p);
    struct auth *a = auth_new(SECRET, strlen(SECRET), WINDOW_MS);
    char line[AUTH_HEADER_MAX + 1];
    enum auth_result got;

    if (!a)
        fail("auth_new failed", "");
    got = auth_check(a, method, path, body, len, value, NOW_MS);
    if ((unsigned)got > AUTH_REPLAYED)
        fail("an unknown result", value);
    if (got == AUTH_OK)
        expect(a, method, path, body, len, value, AUTH_REPLAYED, "a replay passed");

    memset(line, 0, sizeof line);
    auth_sign(a, method, path, body, len, NOW_MS, line);
    if (strlen(line) >= AUTH_HEADER_MAX || strncmp(line, PREFIX, strlen(PREFIX)) != 0)
        fail("auth_sign wrote a bad header line", line);
    const char *signed_value = line + strlen(PREFIX);
    bool used = got == AUTH_OK && strcmp(signed_value, value) == 0;
    expect(a, method, path, body, len, signed_value, used ? AUTH_REPLAYED : AUTH_OK,
           "a fresh signature was refused");
    expect(a, method, path, body, len, signed_value, AUTH_REPLAYED, "a replay passed");
    check_binding(a, method, path, body, len, signed_value);

    auth_free(a);
    free(path);
    free(method);
    free(value);
    return 0;
}

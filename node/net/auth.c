/* auth.c -- HMAC-SHA256 signatures of peer messages with a replay window
 * and a replay cache (see auth.h). */
#include "net/auth.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIG_BYTES 32
#define SEEN_SLOTS (1u << 17)   /* signatures remembered at once */

struct seen {                   /* a signature seen, until it expires */
    uint8_t sig[SIG_BYTES];
    int64_t expires_ms;
};

struct auth {
    EVP_MAC *hmac;
    EVP_MAC_CTX *keyed;         /* initialized with the secret: copied per MAC */
    uint8_t *secret;
    size_t secret_len;
    int64_t window_ms;
    uint64_t nonce;             /* the next request's */
    struct seen *seen;          /* open addressing by the signature */
};

/* Keys an HMAC-SHA256 context once; every MAC starts from a copy. */
static int auth_key(struct auth *a)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };

    a->keyed = EVP_MAC_CTX_new(a->hmac);
    if (!a->keyed || !EVP_MAC_init(a->keyed, a->secret, a->secret_len, params))
        return -1;
    return 0;
}

struct auth *auth_new(const void *secret, size_t len, int64_t window_ms)
{
    struct auth *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    a->hmac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
    a->secret = malloc(len ? len : 1);
    a->seen = malloc(SEEN_SLOTS * sizeof(*a->seen));
    if (!a->hmac || !a->secret || !a->seen) {
        auth_free(a);
        return NULL;
    }
    /* Every byte written now (all ones: expires_ms -1, a free slot) rather
     * than left to calloc's lazy zero pages: signatures land on random
     * pages, so the cache would otherwise creep up to its full size over
     * minutes and look like a leak. (Zeros would be turned into calloc.) */
    memset(a->seen, 0xff, SEEN_SLOTS * sizeof(*a->seen));
    memcpy(a->secret, secret, len);
    a->secret_len = len;
    a->window_ms = window_ms;
    /* A random start: a restarted sender does not repeat its nonces. */
    if (auth_key(a) < 0 ||
        RAND_bytes((unsigned char *)&a->nonce, sizeof(a->nonce)) != 1) {
        auth_free(a);
        return NULL;
    }
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    if (a->secret)
        OPENSSL_cleanse(a->secret, a->secret_len);
    free(a->secret);
    free(a->seen);
    EVP_MAC_CTX_free(a->keyed);
    EVP_MAC_free(a->hmac);
    free(a);
}

int64_t auth_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void auth_mac(const struct auth *a, const char *method,
                     const char *path, int64_t t, uint64_t nonce,
                     const char *body, size_t len, uint8_t out[SIG_BYTES])
{
    char stamp[64];     /* "\nTIME\nNONCE\n": method and path go in whole */
    int n = snprintf(stamp, sizeof(stamp), "\n%" PRId64 "\n%016" PRIx64 "\n",
                     t, nonce);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(a->keyed);
    size_t out_len = 0;

    if (!ctx || !EVP_MAC_update(ctx, (const uint8_t *)method, strlen(method)) ||
        !EVP_MAC_update(ctx, (const uint8_t *)"\n", 1) ||
        !EVP_MAC_update(ctx, (const uint8_t *)path, strlen(path)) ||
        !EVP_MAC_update(ctx, (const uint8_t *)stamp, (size_t)n) ||
        !EVP_MAC_update(ctx, (const uint8_t *)body, len) ||
        !EVP_MAC_final(ctx, out, &out_len, SIG_BYTES) || out_len != SIG_BYTES)
        memset(out, 0, SIG_BYTES);      /* never matches a real signature */
    EVP_MAC_CTX_free(ctx);
}

void auth_sign(struct auth *a, const char *method, const char *path,
               const char *body, size_t len, int64_t now_ms, char *line)
{
    uint8_t mac[SIG_BYTES];
    uint64_t nonce = a->nonce++;
    int n = snprintf(line, AUTH_HEADER_MAX,
                     AUTH_HEADER ": t=%" PRId64 ",n=%016" PRIx64 ",sig=",
                     now_ms, nonce);

    auth_mac(a, method, path, now_ms, nonce, body ? body : "", len, mac);
    for (size_t i = 0; i < SIG_BYTES; i++)
        n += snprintf(line + n, AUTH_HEADER_MAX - (size_t)n, "%02x", mac[i]);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses "t=<ms>,n=<16 lowercase hex>,sig=<64 lowercase hex>". */
static bool auth_parse(const char *value, int64_t *t, uint64_t *nonce,
                       uint8_t sig[SIG_BYTES])
{
    const char *p;
    char *end;

    if (strncmp(value, "t=", 2) != 0)
        return false;
    *t = strtoll(value + 2, &end, 10);
    if (end == value + 2 || strncmp(end, ",n=", 3) != 0)
        return false;
    p = end + 3;
    *nonce = 0;
    for (size_t i = 0; i < 16; i++) {
        int d = hex_digit(p[i]);
        if (d < 0)
            return false;
        *nonce = *nonce << 4 | (uint64_t)d;
    }
    if (strncmp(p + 16, ",sig=", 5) != 0)
        return false;
    p += 16 + 5;
    for (size_t i = 0; i < SIG_BYTES; i++) {
        int hi = hex_digit(p[2 * i]), lo = hi < 0 ? -1 : hex_digit(p[2 * i + 1]);
        if (lo < 0)
            return false;
        sig[i] = (uint8_t)(hi << 4 | lo);
    }
    return p[2 * SIG_BYTES] == '\0';
}

/* Remembers sig until expires; false when it was seen already (or when
 * the cache is full of live signatures: refusing is the safe answer). */
static bool auth_remember(struct auth *a, const uint8_t sig[SIG_BYTES],
                          int64_t now_ms, int64_t expires_ms)
{
    uint32_t h;

    memcpy(&h, sig, sizeof(h));         /* an HMAC is already uniform */
    for (uint32_t probe = 0; probe < 64; probe++) {
        struct seen *s = &a->seen[(h + probe) & (SEEN_SLOTS - 1)];
        if (s->expires_ms > now_ms) {
            if (memcmp(s->sig, sig, SIG_BYTES) == 0)
                return false;
            continue;
        }
        memcpy(s->sig, sig, SIG_BYTES);
        s->expires_ms = expires_ms;
        return true;
    }
    return false;
}

enum auth_result auth_check(struct auth *a, const char *method,
                            const char *path, const char *body, size_t len,
                            const char *value, int64_t now_ms)
{
    uint8_t got[SIG_BYTES], want[SIG_BYTES];
    uint64_t nonce;
    int64_t t;

    if (!value)
        return AUTH_MISSING;
    if (!auth_parse(value, &t, &nonce, got))
        return AUTH_MALFORMED;
    if (t < now_ms - a->window_ms || t > now_ms + a->window_ms)
        return AUTH_EXPIRED;
    auth_mac(a, method, path, t, nonce, body, len, want);
    if (CRYPTO_memcmp(got, want, SIG_BYTES) != 0)
        return AUTH_BAD_SIGNATURE;
    if (!auth_remember(a, got, now_ms, t + a->window_ms + 1))
        return AUTH_REPLAYED;
    return AUTH_OK;
}

const char *auth_result_text(enum auth_result r)
{
    switch (r) {
    case AUTH_OK: return "ok";
    case AUTH_MISSING: return "missing " AUTH_HEADER " header";
    case AUTH_MALFORMED: return "malformed " AUTH_HEADER " header";
    case AUTH_EXPIRED: return "signature outside the replay window";
    case AUTH_BAD_SIGNATURE: return "bad signature";
    case AUTH_REPLAYED: break;
    }
    return "signature already used (replay)";
}

int auth_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);

    return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

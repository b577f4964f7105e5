/* auth.h -- signing and checking peer messages with the cluster secret.
 *
 * A signed request carries the header
 *     X-Paxos-Signature: t=<unix time, ms>,n=<nonce>,sig=<hex HMAC-SHA256>
 * where the HMAC is keyed by the shared secret and covers
 * "METHOD\nPATH\nTIME\nNONCE\nBODY" (the path without its query). The
 * nonce (16 lowercase hex digits, a random start counted up) makes every
 * request's signature different, even two identical messages sent in the
 * same millisecond. A signature is good only within the replay window
 * around its time, and only once: the signatures seen inside the window
 * are remembered. */
#ifndef PAXOS_AUTH_H
#define PAXOS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_HEADER "X-Paxos-Signature"
#define AUTH_HEADER_MAX 160     /* the whole "Name: value" line */

struct auth;

enum auth_result {
    AUTH_OK,
    AUTH_MISSING,               /* no signature header */
    AUTH_MALFORMED,             /* not t=...,n=<16 hex>,sig=<64 hex> */
    AUTH_EXPIRED,               /* time outside the replay window */
    AUTH_BAD_SIGNATURE,
    AUTH_REPLAYED,              /* seen before within the window */
};

/* secret is copied. Returns NULL when out of memory. */
struct auth *auth_new(const void *secret, size_t len, int64_t window_ms);
void auth_free(struct auth *a);

/* Writes the header line ("X-Paxos-Signature: t=...,sig=...") for a
 * request into line (AUTH_HEADER_MAX bytes). */
void auth_sign(struct auth *a, const char *method, const char *path,
               const char *body, size_t len, int64_t now_ms, char *line);
/* Checks a request's header value (NULL when absent), in constant time
 * for the signature itself. */
enum auth_result auth_check(struct auth *a, const char *method,
                            const char *path, const char *body, size_t len,
                            const char *value, int64_t now_ms);
const char *auth_result_text(enum auth_result r);

/* True when the two strings are equal, in time that does not depend on
 * where they differ (for tokens). */
int auth_equal(const char *a, const char *b);

/* Wall-clock time in milliseconds, what signatures carry. */
int64_t auth_now_ms(void);

#endif

/* faultlog.c -- reads a learner's log answer and digests it; see
 * faultlog.h. */
#include "faultlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values are bounded by paxosd's --max-body; this only guards the
 * checker against nonsense. */
#define FLOG_MAX_STRING (256u << 20)

static int flog_entry_read(struct jr *d, json_object *item,
                           const struct jr_path *at, struct flog_entry *e)
{
    const struct jr_path slot = { at, "slot", 0 }, value = { at, "value", 0 },
                         client = { at, "client_id", 0 }, seq = { at, "seq", 0 };
    json_object *v;

    if (!json_object_is_type(item, json_type_object))
        return jr_fail_field(d, at, "must be an object");
    if (jr_uint(d, item, &slot, 1, INT64_MAX, &e->slot) < 0 ||
        jr_uint(d, item, &seq, 0, UINT64_MAX, &e->seq) < 0 ||
        jr_ballot(d, item, at, &e->ballot) < 0)
        return -1;
    if (!(v = jr_member(item, &value)))
        return jr_fail_field(d, &value, "is missing");
    if (jr_string(d, v, &value, FLOG_MAX_STRING, &e->value) < 0)
        return -1;
    if (!(v = jr_member(item, &client)))
        return jr_fail_field(d, &client, "is missing");
    return jr_string(d, v, &client, FLOG_MAX_STRING, &e->client_id);
}

/* A configuration of the acceptor set ({"slot":S,"config":{...}}): the
 * cluster's own value, not a write. */
static bool flog_is_config(json_object *item)
{
    return json_object_is_type(item, json_type_object) &&
           json_object_object_get_ex(item, "config", NULL);
}

int flog_read(struct jr *d, json_object *root, struct flog *out)
{
    const struct jr_path values = { NULL, "values", 0 };
    json_object *a = jr_member(root, &values);
    size_t n;

    *out = (struct flog){ 0 };
    if (!a || !json_object_is_type(a, json_type_array))
        return jr_fail_field(d, &values, "must be an array");
    n = json_object_array_length(a);
    if (n && !(out->v = calloc(n, sizeof(*out->v))))
        return jr_fail(d, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct jr_path at = { &values, NULL, i };
        json_object *item = json_object_array_get_idx(a, i);
        struct flog_entry *e = &out->v[out->n];
        int rc;
        if (flog_is_config(item))
            continue;
        rc = flog_entry_read(d, item, &at, e);
        out->n++;               /* so that flog_free frees what was read */
        if (rc < 0)
            goto fail;
        if (out->n > 1 && e->slot <= out->v[out->n - 2].slot) {
            jr_fail_field(d, &at, "has slot %" PRIu64 ", not above the "
                          "previous value's %" PRIu64, e->slot,
                          out->v[out->n - 2].slot);
            goto fail;
        }
    }
    return 0;
fail:
    flog_free(out);
    return -1;
}

void flog_free(struct flog *log)
{
    for (size_t i = 0; i < log->n; i++) {
        free(log->v[i].value);
        free(log->v[i].client_id);
    }
    free(log->v);
    *log = (struct flog){ 0 };
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t flog_digest_step(uint64_t h, const struct flog_entry *e)
{
    char slot[32];
    int len = snprintf(slot, sizeof(slot), "%" PRIu64 " ", e->slot);

    h = fnv1a(h, slot, (size_t)len);
    h = fnv1a(h, e->value, strlen(e->value));
    return fnv1a(h, "\n", 1);
}

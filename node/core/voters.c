/* voters.c -- configurations of the acceptor set: quorums, their JSON
 * forms, their log values and changes (see voters.h). */
#include "core/voters.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonread.h"

/* object > voters > voter > field: four levels. */
#define VOTERS_MAX_DEPTH 4

size_t voters_quorum(const struct voters *v)
{
    return v->n / 2 + 1;
}

int voters_find_node(const struct voters *v, uint32_t id)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->v[i].node.id == id)
            return (int)i;
    return -1;
}

int voters_find(const struct voters *v, uint32_t id, const char *member)
{
    int i = voters_find_node(v, id);

    return i >= 0 && member && strcmp(v->v[i].member, member) == 0 ? i : -1;
}

size_t voters_common(const struct voters *a, const struct voters *b)
{
    size_t common = 0;

    for (size_t i = 0; i < a->n; i++)
        common += voters_find(b, a->v[i].node.id, a->v[i].member) >= 0;
    return common;
}

bool voters_same(const struct voters *a, const struct voters *b)
{
    return a->n == b->n && voters_common(a, b) == a->n;
}

/* ---- JSON ---- */

static struct json_object *voters_list_json(const struct voters *v)
{
    struct json_object *list = json_object_new_array();

    for (size_t i = 0; i < v->n; i++) {
        const struct voter *x = &v->v[i];
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_int64(x->node.id));
        json_object_object_add(o, "name", json_object_new_string(x->node.name));
        json_object_object_add(o, "host", json_object_new_string(x->node.host));
        json_object_object_add(o, "port", json_object_new_int(x->node.port));
        json_object_object_add(o, "member", json_object_new_string(x->member));
        json_object_array_add(list, o);
    }
    return list;
}

static struct json_object *voters_object(const struct voters *v,
                                         bool position)
{
    struct json_object *o = json_object_new_object();

    if (position) {
        json_object_object_add(o, "epoch",
                               json_object_new_int64((int64_t)v->epoch));
        json_object_object_add(o, "first_slot",
                               json_object_new_int64((int64_t)v->first_slot));
    }
    json_object_object_add(o, "voters", voters_list_json(v));
    return o;
}

struct json_object *voters_json(const struct voters *v)
{
    return voters_object(v, true);
}

struct json_object *voters_value_json(const struct voters *v)
{
    return voters_object(v, false);
}

static char *voters_text(const struct voters *v, bool position)
{
    struct json_object *o = voters_object(v, position);
    char *text = strdup(json_object_to_json_string_ext(o,
                                                       JSON_C_TO_STRING_PLAIN));

    json_object_put(o);
    return text;
}

char *voters_encode(const struct voters *v)
{
    return voters_text(v, true);
}

char *voters_encode_value(const struct voters *v)
{
    return voters_text(v, false);
}

static bool is_member_id(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
            return false;
    return n == MEMBER_ID_LEN;
}

/* Copies a JSON string field of at most max - 1 bytes into out[max]. */
static int voters_copy_string(struct jr *d, json_object *obj,
                              const struct jr_path *field, char *out,
                              size_t max)
{
    char *s = NULL;

    if (jr_string(d, jr_member(obj, field), field, max - 1, &s) < 0)
        return -1;
    if (!s[0]) {
        free(s);
        return jr_fail_field(d, field, "must not be empty");
    }
    memcpy(out, s, strlen(s) + 1);
    free(s);
    return 0;
}

static int voters_read_voter(struct jr *d, json_object *o,
                             const struct jr_path *at, struct voter *x)
{
    const struct jr_path id = { at, "id", 0 }, name = { at, "name", 0 },
                         host = { at, "host", 0 }, port = { at, "port", 0 },
                         member = { at, "member", 0 };
    uint64_t n;

    if (!json_object_is_type(o, json_type_object))
        return jr_fail_field(d, at, "must be an object");
    memset(x, 0, sizeof(*x));
    x->node.role = ROLE_ACCEPTOR;
    if (jr_uint(d, o, &id, 1, UINT32_MAX, &n) < 0)
        return -1;
    x->node.id = (uint32_t)n;
    if (jr_uint(d, o, &port, 1, 65535, &n) < 0)
        return -1;
    x->node.port = (uint16_t)n;
    if (voters_copy_string(d, o, &name, x->node.name, sizeof x->node.name) < 0 ||
        voters_copy_string(d, o, &host, x->node.host, sizeof x->node.host) < 0 ||
        voters_copy_string(d, o, &member, x->member, sizeof x->member) < 0)
        return -1;
    if (!is_member_id(x->member))
        return jr_fail_field(d, &member, "must be %d lowercase hex digits",
                             MEMBER_ID_LEN);
    return 0;
}

int voters_read(struct jr *d, json_object *root, const struct jr_path *at,
                struct voters *out)
{
    const struct jr_path list = { at, "voters", 0 };
    const struct jr_path epoch = { at, "epoch", 0 },
                         first = { at, "first_slot", 0 };
    json_object *a;
    bool position;

    memset(out, 0, sizeof(*out));
    if (!json_object_is_type(root, json_type_object))
        return at ? jr_fail_field(d, at, "must be an object")
                  : jr_fail(d, "a configuration must be an object");
    a = jr_member(root, &list);
    position = jr_member(root, &epoch) || jr_member(root, &first);
    if (position && (jr_uint(d, root, &epoch, 1, INT64_MAX, &out->epoch) < 0 ||
                     jr_uint(d, root, &first, 1, INT64_MAX,
                             &out->first_slot) < 0))
        return -1;
    if (!a || !json_object_is_type(a, json_type_array))
        return jr_fail_field(d, &list, "must be an array");
    if (json_object_array_length(a) < 1 ||
        json_object_array_length(a) > VOTERS_MAX)
        return jr_fail_field(d, &list, "must hold 1 to %d voters",
                             VOTERS_MAX);
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        const struct jr_path item = { &list, NULL, i };
        struct voter *x = &out->v[out->n];
        if (voters_read_voter(d, json_object_array_get_idx(a, i), &item,
                              x) < 0)
            return -1;
        if (voters_find_node(out, x->node.id) >= 0)
            return jr_fail_field(d, &item, "names node %" PRIu32 " twice",
                                 x->node.id);
        out->n++;
    }
    return 0;
}

int voters_decode(const char *text, size_t len, struct voters *out,
                  char *err, size_t errlen)
{
    struct jr d = { err, errlen };
    json_object *root = NULL;
    int rc = -1;

    if (jr_parse(&d, text, len, VOTERS_MAX_DEPTH, &root) == 0)
        rc = voters_read(&d, root, NULL, out);
    json_object_put(root);
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

/* ---- in the log ---- */

bool voters_is_value(const struct pvalue *v)
{
    return v->data && v->client && strcmp(v->client, VOTERS_WRITER) == 0;
}

int voters_to_value(const struct voters *v, struct pvalue *out)
{
    *out = (struct pvalue){ voters_encode_value(v), strdup(VOTERS_WRITER), 0 };
    if (out->data && out->client)
        return 0;
    pvalue_free(out);
    return -1;
}

int voters_from_value(const struct pvalue *value, uint64_t slot,
                      const struct voters *prev, struct voters *out)
{
    char err[160];

    if (!voters_is_value(value) ||
        voters_decode(value->data, strlen(value->data), out, err,
                      sizeof(err)) < 0)
        return -1;
    out->epoch = (prev->epoch ? prev->epoch : 1) + 1;
    out->first_slot = slot + VOTERS_ALPHA;
    return 0;
}

/* ---- chains ---- */

const struct voters *chain_at(const struct voters_chain *ch, uint64_t slot)
{
    const struct voters *at = NULL;

    for (size_t i = 0; i < ch->n && ch->c[i].first_slot <= slot; i++)
        at = &ch->c[i];
    return at;
}

const struct voters *chain_last(const struct voters_chain *ch)
{
    return ch->n ? &ch->c[ch->n - 1] : NULL;
}

void chain_start(struct voters_chain *ch, const struct voters *v)
{
    ch->n = 1;
    ch->c[0] = *v;
}

int chain_take(struct voters_chain *ch, const struct pvalue *value,
               uint64_t slot)
{
    const struct voters *last = chain_last(ch);
    static const struct voters none;
    struct voters made;

    if (voters_from_value(value, slot, last ? last : &none, &made) < 0)
        return 0;
    if (ch->n == VOTERS_CHAIN_MAX)
        return -1;
    ch->c[ch->n++] = made;
    return 1;
}

void chain_advance(struct voters_chain *ch, uint64_t commit)
{
    size_t drop = 0;

    while (drop + 1 < ch->n && ch->c[drop + 1].first_slot <= commit + 1)
        drop++;
    if (!drop)
        return;
    memmove(ch->c, ch->c + drop, (ch->n - drop) * sizeof(ch->c[0]));
    ch->n -= drop;
}

bool chain_names(const struct voters_chain *ch, uint32_t id,
                 const char *member)
{
    for (size_t i = 0; i < ch->n; i++)
        if (voters_find(&ch->c[i], id, member) >= 0)
            return true;
    return false;
}

bool chain_newer(const struct voters_chain *a, const struct voters_chain *b)
{
    const struct voters *la = chain_last(a), *lb = chain_last(b);

    return la && (!lb || la->epoch > lb->epoch);
}

struct json_object *chain_json(const struct voters_chain *ch)
{
    struct json_object *a = json_object_new_array();

    for (size_t i = 0; i < ch->n; i++)
        json_object_array_add(a, voters_json(&ch->c[i]));
    return a;
}

int chain_read(struct jr *d, json_object *obj, const struct jr_path *at,
               struct voters_chain *out)
{
    size_t n;

    out->n = 0;
    if (!obj || !json_object_is_type(obj, json_type_array))
        return jr_fail_field(d, at, "must be an array");
    n = json_object_array_length(obj);
    if (n < 1 || n > VOTERS_CHAIN_MAX)
        return jr_fail_field(d, at, "must hold 1 to %d configurations",
                             VOTERS_CHAIN_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct jr_path item = { at, NULL, i };
        struct voters *v = &out->c[i];
        if (voters_read(d, json_object_array_get_idx(obj, i), &item, v) < 0)
            return -1;
        if (!v->epoch)
            return jr_fail_field(d, &item, "must have an epoch and a first "
                                 "slot");
        if (i && (v->epoch <= out->c[i - 1].epoch ||
                  v->first_slot <= out->c[i - 1].first_slot))
            return jr_fail_field(d, &item, "must come after the one before");
        out->n = i + 1;
    }
    return 0;
}

char *chain_encode(const struct voters_chain *ch)
{
    struct json_object *o = json_object_new_object();
    char *text;

    json_object_object_add(o, "configs", chain_json(ch));
    text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

int chain_decode(const char *text, size_t len, struct voters_chain *out,
                 char *err, size_t errlen)
{
    const struct jr_path field = { NULL, "configs", 0 };
    struct jr d = { err, errlen };
    json_object *root = NULL;
    int rc = -1;

    out->n = 0;
    if (jr_parse(&d, text, len, VOTERS_MAX_DEPTH + 2, &root) == 0)
        rc = chain_read(&d, jr_member(root, &field), &field, out);
    json_object_put(root);
    return rc;
}

/* ---- changes ---- */

int voters_change(const struct voters *cur, enum voters_change change,
                  uint32_t old, const struct voter *who, struct voters *out,
                  char *err, size_t errlen)
{
    int at_old = change == VOTERS_ADD ? -1 : voters_find_node(cur, old);
    int at_who = change == VOTERS_REMOVE ? -1
                                         : voters_find_node(cur, who->node.id);

    *out = *cur;
    if (change != VOTERS_ADD && at_old < 0) {
        snprintf(err, errlen, "node %" PRIu32 " is not a voter", old);
        return -1;
    }
    if (change == VOTERS_REMOVE && cur->n == 1) {
        snprintf(err, errlen, "%s is the last voter", cur->v[at_old].node.name);
        return -1;
    }
    if (at_who >= 0 && strcmp(cur->v[at_who].member, who->member) == 0) {
        snprintf(err, errlen, "%s votes already", who->node.name);
        return -1;
    }
    if (change == VOTERS_REPLACE && at_who >= 0 && at_who != at_old) {
        snprintf(err, errlen, "%s votes already, in place of no one",
                 who->node.name);
        return -1;
    }
    if (at_who >= 0) {          /* a voter's new identity: re-admission */
        out->v[at_who] = *who;
        return 0;
    }
    if (change != VOTERS_ADD) {
        memmove(&out->v[at_old], &out->v[at_old + 1],
                (out->n - at_old - 1) * sizeof(out->v[0]));
        out->n--;
    }
    if (change == VOTERS_REMOVE)
        return 0;
    if (out->n == VOTERS_MAX) {
        snprintf(err, errlen, "at most %d voters", VOTERS_MAX);
        return -1;
    }
    out->v[out->n++] = *who;
    return 0;
}

/* FNV-1a, 64 bits: a name for the founding configuration, not a secret. */
void voters_cluster_id(const struct voters *founding, char *out)
{
    char *text = voters_encode_value(founding);
    uint64_t h = 0xcbf29ce484222325ULL;

    for (const char *p = text ? text : ""; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 0x100000001b3ULL;
    }
    free(text);
    snprintf(out, CLUSTER_ID_LEN + 1, "%016" PRIx64, h);
}

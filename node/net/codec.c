/* codec.c -- JSON encoding and strict decoding of peer messages (see codec.h).
 *
 * One table says which fields each message type carries; the encoder writes
 * exactly those and the decoder requires them (PROMISE's entries and a
 * client's writer id are optional) and ignores any others. Decoded strings are
 * owned by the struct msg being filled, so on any error msg_free() releases
 * everything decoded so far. */
#include "net/codec.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonread.h"

/* json-c counts every value as a level, scalars included: the deepest
 * message is object > configs > config > voters > voter > id, six
 * levels. */
#define MSG_MAX_DEPTH 6
#define MSG_MAX_ENTRIES 100000
#define CLIENT_ID_MAX 64        /* bytes of a writer id */

enum field_flag {
    F_FROM = 1 << 0,
    F_OK = 1 << 1,
    F_BALLOT = 1 << 2,
    F_FROM_SLOT = 1 << 3,
    F_UPTO = 1 << 4,
    F_COMMIT = 1 << 5,
    F_SLOT = 1 << 6,
    F_VALUE = 1 << 7,               /* a value at the top level */
    F_ENTRIES = 1 << 8,
    F_ENTRIES_OPTIONAL = 1 << 9,    /* "entries" may be absent */
    F_ENTRY_BALLOT = 1 << 10,       /* each entry carries its ballot */
    F_TRIMMED = 1 << 11,
    F_MEMBER = 1 << 12,             /* the acceptor's member identity */
    F_CONFIG = 1 << 13,             /* the configurations after commit */
    F_FOUNDING = 1 << 14,           /* the founding configuration */
    F_CONFIG_OPTIONAL = 1 << 15,    /* config and founding may be absent */
    F_ACTIVE = 1 << 16,
    F_CLUSTER = 1 << 17,            /* the cluster's identity */
    F_WRITES = 1 << 18,             /* "writes": values with writers */
    F_RESULTS = 1 << 19,            /* "results": one per write */
};

/* How a value is written. Entries always name their writer; PROPOSE and
 * the CHOSEN answering it may leave out client_id and seq, and a client may
 * give client_id as a number. Only entries and CHOSEN may hold a no-op. */
struct value_rules {
    bool noop_allowed;
    bool writer_optional;
};

struct msg_layout {
    unsigned fields;
    struct value_rules value;       /* for F_VALUE */
};

static const struct value_rules entry_value_rules = {
    .noop_allowed = true, .writer_optional = false,
};

static const struct msg_layout layouts[] = {
    [MSG_PREPARE] = { .fields = F_FROM | F_BALLOT | F_FROM_SLOT },
    [MSG_PROMISE] = { .fields = F_FROM | F_OK | F_BALLOT | F_COMMIT | F_ENTRIES |
                                F_ENTRIES_OPTIONAL | F_ENTRY_BALLOT | F_MEMBER |
                                F_CONFIG | F_CLUSTER },
    [MSG_ACCEPT] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_ENTRIES |
                               F_CONFIG },
    [MSG_ACCEPTED] = { .fields = F_FROM | F_OK | F_BALLOT | F_MEMBER },
    [MSG_LEARN] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_ENTRIES },
    [MSG_HEARTBEAT] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_CONFIG },
    [MSG_LISTING] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_FROM_SLOT |
                                F_UPTO | F_TRIMMED | F_ENTRIES | F_ENTRY_BALLOT |
                                F_MEMBER | F_CONFIG | F_CLUSTER | F_FOUNDING },
    [MSG_NOTIFY] = { .fields = F_FROM | F_ENTRIES },
    [MSG_PROPOSE] = { .fields = F_VALUE,
                      .value = { .noop_allowed = false, .writer_optional = true } },
    [MSG_CHOSEN] = { .fields = F_SLOT | F_BALLOT | F_FROM | F_VALUE,
                     .value = { .noop_allowed = true, .writer_optional = true } },
    [MSG_LEARNED] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_FROM_SLOT |
                                F_UPTO | F_TRIMMED | F_ENTRIES | F_ENTRY_BALLOT },
    [MSG_WRITES] = { .fields = F_FROM | F_WRITES },
    [MSG_WRITTEN] = { .fields = F_FROM | F_RESULTS },
    [MSG_IDENTITY] = { .fields = F_FROM | F_MEMBER | F_ACTIVE | F_COMMIT |
                                 F_CONFIG | F_CLUSTER | F_FOUNDING |
                                 F_CONFIG_OPTIONAL },
};

static const struct msg_layout *layout_of(enum msg_type type)
{
    if ((size_t)type >= sizeof layouts / sizeof layouts[0])
        return NULL;
    return &layouts[type];
}

/* ---- encoding ---- */

/* Adds val under a constant key; takes ownership of val (NULL = out of
 * memory). */
static bool put(json_object *obj, const char *key, json_object *val)
{
    if (!val)
        return false;
    if (json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_ADD_KEY_IS_NEW |
                                  JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
        json_object_put(val);
        return false;
    }
    return true;
}

static json_object *ballot_to_json(struct ballot b)
{
    json_object *obj = json_object_new_object();

    if (obj && put(obj, "round", json_object_new_int64(b.round)) &&
        put(obj, "node", json_object_new_int64(b.node)))
        return obj;
    json_object_put(obj);
    return NULL;
}

static bool put_value(json_object *obj, const struct pvalue *v,
                      struct value_rules rules)
{
    if (pvalue_is_noop(v))
        return put(obj, "noop", json_object_new_boolean(1));
    if (!put(obj, "value", json_object_new_string(v->data)))
        return false;
    if ((v->client || !rules.writer_optional) &&
        !put(obj, "client_id", json_object_new_string(v->client ? v->client : "")))
        return false;
    return put(obj, "seq", json_object_new_uint64(v->seq));
}

static json_object *entry_to_json(const struct msg_entry *e, bool with_ballot)
{
    json_object *obj = json_object_new_object();

    if (obj && put(obj, "slot", json_object_new_uint64(e->slot)) &&
        (!with_ballot || put(obj, "ballot", ballot_to_json(e->ballot))) &&
        put_value(obj, &e->value, entry_value_rules))
        return obj;
    json_object_put(obj);
    return NULL;
}

static json_object *entries_to_json(const struct msg *m, bool with_ballot)
{
    json_object *array = json_object_new_array_ext(
        (int)(m->n_entries < MSG_MAX_ENTRIES ? m->n_entries : MSG_MAX_ENTRIES));

    for (size_t i = 0; array && i < m->n_entries; i++) {
        json_object *entry = entry_to_json(&m->entries[i], with_ballot);

        if (!entry || json_object_array_add(array, entry) != 0) {
            json_object_put(entry);
            json_object_put(array);
            return NULL;
        }
    }
    return array;
}

static json_object *writes_to_json(const struct msg *m)
{
    json_object *array = json_object_new_array_ext((int)m->n_entries);

    for (size_t i = 0; array && i < m->n_entries; i++) {
        json_object *obj = json_object_new_object();
        if (!obj || !put_value(obj, &m->entries[i].value, entry_value_rules) ||
            json_object_array_add(array, obj) != 0) {
            json_object_put(obj);
            json_object_put(array);
            return NULL;
        }
    }
    return array;
}

static json_object *result_to_json(const struct msg_result *r)
{
    json_object *obj = json_object_new_object();

    if (obj && r->slot && put(obj, "slot", json_object_new_uint64(r->slot)) &&
        put(obj, "ballot", ballot_to_json(r->ballot)))
        return obj;
    if (obj && !r->slot && put(obj, "status", json_object_new_int(r->status)) &&
        put(obj, "error", json_object_new_string(r->error ? r->error : "")))
        return obj;
    json_object_put(obj);
    return NULL;
}

static json_object *results_to_json(const struct msg *m)
{
    json_object *array = json_object_new_array_ext((int)m->n_results);

    for (size_t i = 0; array && i < m->n_results; i++) {
        json_object *obj = result_to_json(&m->results[i]);
        if (!obj || json_object_array_add(array, obj) != 0) {
            json_object_put(obj);
            json_object_put(array);
            return NULL;
        }
    }
    return array;
}

char *msg_encode(const struct msg *m)
{
    const struct msg_layout *layout = layout_of(m->type);
    json_object *root = json_object_new_object();
    unsigned f = layout ? layout->fields : 0;
    const char *text;
    size_t len;
    char *out = NULL;

    if (!layout || !root)
        goto cleanup;
    if ((f & F_FROM) && !put(root, "from", json_object_new_int64(m->from)))
        goto cleanup;
    if ((f & F_OK) && !put(root, "ok", json_object_new_boolean(m->ok)))
        goto cleanup;
    if ((f & F_SLOT) && !put(root, "slot", json_object_new_uint64(m->slot)))
        goto cleanup;
    if ((f & F_BALLOT) && !put(root, "ballot", ballot_to_json(m->ballot)))
        goto cleanup;
    if ((f & F_FROM_SLOT) && !put(root, "from_slot", json_object_new_uint64(m->from_slot)))
        goto cleanup;
    if ((f & F_UPTO) && !put(root, "upto", json_object_new_uint64(m->upto)))
        goto cleanup;
    if ((f & F_COMMIT) && !put(root, "commit", json_object_new_uint64(m->commit)))
        goto cleanup;
    if ((f & F_TRIMMED) && !put(root, "trimmed", json_object_new_uint64(m->trimmed)))
        goto cleanup;
    if ((f & F_VALUE) && !put_value(root, &m->value, layout->value))
        goto cleanup;
    if ((f & F_ENTRIES) &&
        !put(root, "entries", entries_to_json(m, f & F_ENTRY_BALLOT)))
        goto cleanup;
    if ((f & F_WRITES) && !put(root, "writes", writes_to_json(m)))
        goto cleanup;
    if ((f & F_RESULTS) && !put(root, "results", results_to_json(m)))
        goto cleanup;
    if ((f & F_MEMBER) && !put(root, "member", json_object_new_string(m->member)))
        goto cleanup;
    if ((f & F_ACTIVE) && !put(root, "active", json_object_new_boolean(m->active)))
        goto cleanup;
    if ((f & F_CONFIG) && m->chain && !put(root, "configs", chain_json(m->chain)))
        goto cleanup;
    if ((f & F_CLUSTER) && !put(root, "cluster", json_object_new_string(m->cluster)))
        goto cleanup;
    if ((f & F_FOUNDING) && m->founding &&
        !put(root, "founding", voters_json(m->founding)))
        goto cleanup;

    text = json_object_to_json_string_length(
        root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (text && (out = malloc(len + 1)))
        memcpy(out, text, len + 1);
cleanup:
    json_object_put(root);
    return out;
}

/* ---- decoding ---- */

struct decoder {
    struct jr jr;
    size_t max_value;
};

/* The writer id: a string, or for lenient writers also a number. A
 * lenient writer (a client's own write) may not take a name that starts
 * with '#': those are the cluster's own values (VOTERS_WRITER). */
static int read_client_id(struct decoder *d, json_object *val, const struct jr_path *field,
                          struct value_rules rules, char **out)
{
    if (!rules.writer_optional || !json_object_is_type(val, json_type_int)) {
        if (jr_string(&d->jr, val, field, CLIENT_ID_MAX, out) != 0)
            return -1;
        if (rules.writer_optional && (*out)[0] == '#')
            return jr_fail_field(&d->jr, field, "must not start with '#' "
                                 "(the cluster's own values)");
        return 0;
    }
    if (json_object_get_int64(val) < 0)
        return jr_fail_field(&d->jr, field, "must be a string or a non-negative integer");
    if (asprintf(out, "%" PRIu64, json_object_get_uint64(val)) < 0) {
        *out = NULL;
        return jr_fail(&d->jr, "out of memory");
    }
    return 0;
}

/* Reads "value","client_id","seq" or "noop":true from obj into *out. */
static int read_value(struct decoder *d, json_object *obj, const struct jr_path *parent,
                      struct value_rules rules, struct pvalue *out)
{
    const struct jr_path value_field = { parent, "value", 0 };
    const struct jr_path noop_field = { parent, "noop", 0 };
    const struct jr_path client_field = { parent, "client_id", 0 };
    const struct jr_path seq_field = { parent, "seq", 0 };
    json_object *value = jr_member(obj, &value_field);

    if (!value && rules.noop_allowed && jr_member(obj, &noop_field)) {
        bool noop = false;
        if (jr_bool(&d->jr, obj, &noop_field, &noop) != 0)
            return -1;
        return noop ? 0 : jr_fail_field(&d->jr, &noop_field, "must be true");
    }
    if (!value)
        return jr_fail_field(&d->jr, &value_field, "is missing");
    if (jr_string(&d->jr, value, &value_field, d->max_value, &out->data) != 0)
        return -1;

    json_object *client = jr_member(obj, &client_field);
    if (!client && !rules.writer_optional)
        return jr_fail_field(&d->jr, &client_field, "is missing");
    if (client && read_client_id(d, client, &client_field, rules, &out->client) != 0)
        return -1;
    if (!jr_member(obj, &seq_field) && rules.writer_optional)
        return 0;
    return jr_uint(&d->jr, obj, &seq_field, 0, INT64_MAX, &out->seq);
}

static int read_entry(struct decoder *d, json_object *obj, const struct jr_path *field,
                      bool with_ballot, struct msg_entry *out)
{
    if (!json_object_is_type(obj, json_type_object))
        return jr_fail_field(&d->jr, field, "must be an object");
    if (jr_uint(&d->jr, obj, &(struct jr_path){ field, "slot", 0 }, 1, INT64_MAX,
                  &out->slot) != 0)
        return -1;
    if (with_ballot && jr_ballot(&d->jr, obj, field, &out->ballot) != 0)
        return -1;
    return read_value(d, obj, field, entry_value_rules, &out->value);
}

static int read_entries(struct decoder *d, json_object *obj, unsigned fields,
                        struct msg *m)
{
    const struct jr_path field = { NULL, "entries", 0 };
    json_object *array = jr_member(obj, &field);

    if (!array)
        return fields & F_ENTRIES_OPTIONAL ? 0 : jr_fail_field(&d->jr, &field, "is missing");
    if (!json_object_is_type(array, json_type_array))
        return jr_fail_field(&d->jr, &field, "must be an array");
    size_t n = json_object_array_length(array);
    if (n > MSG_MAX_ENTRIES)
        return jr_fail_field(&d->jr, &field, "has %zu entries, the limit is %d", n,
                          MSG_MAX_ENTRIES);
    if (n == 0)
        return 0;
    if (!(m->entries = calloc(n, sizeof *m->entries)))
        return jr_fail(&d->jr, "out of memory");
    m->n_entries = n;
    for (size_t i = 0; i < n; i++) {
        if (read_entry(d, json_object_array_get_idx(array, i),
                       &(struct jr_path){ &field, NULL, i }, fields & F_ENTRY_BALLOT,
                       &m->entries[i]) != 0)
            return -1;
    }
    return 0;
}

/* An array member key of at most MSG_MAX_ENTRIES items, in *array with
 * its length in *n. */
static int read_array(struct decoder *d, json_object *obj,
                      const struct jr_path *field, json_object **array,
                      size_t *n)
{
    *array = jr_member(obj, field);
    if (!*array)
        return jr_fail_field(&d->jr, field, "is missing");
    if (!json_object_is_type(*array, json_type_array))
        return jr_fail_field(&d->jr, field, "must be an array");
    *n = json_object_array_length(*array);
    if (*n > MSG_MAX_ENTRIES)
        return jr_fail_field(&d->jr, field, "has %zu items, the limit is %d", *n,
                             MSG_MAX_ENTRIES);
    return 0;
}

/* "writes": values, each with its writer (a client's own writes). */
static int read_writes(struct decoder *d, json_object *obj, struct msg *m)
{
    static const struct value_rules writes_rules = {
        .noop_allowed = false, .writer_optional = false,
    };
    const struct jr_path field = { NULL, "writes", 0 };
    json_object *array;
    size_t n;

    if (read_array(d, obj, &field, &array, &n) < 0)
        return -1;
    if (n && !(m->entries = calloc(n, sizeof *m->entries)))
        return jr_fail(&d->jr, "out of memory");
    m->n_entries = n;
    for (size_t i = 0; i < n; i++) {
        const struct jr_path at = { &field, NULL, i };
        json_object *item = json_object_array_get_idx(array, i);
        if (!json_object_is_type(item, json_type_object))
            return jr_fail_field(&d->jr, &at, "must be an object");
        if (read_value(d, item, &at, writes_rules, &m->entries[i].value) != 0)
            return -1;
        if (m->entries[i].value.client[0] == '#')
            return jr_fail_field(&d->jr, &at, "writer must not start with '#' "
                                 "(the cluster's own values)");
    }
    return 0;
}

/* One result: {"slot":S,"ballot":B} or {"status":C,"error":"..."}. */
static int read_result(struct decoder *d, json_object *item,
                       const struct jr_path *at, struct msg_result *r)
{
    const struct jr_path slot = { at, "slot", 0 }, status = { at, "status", 0 },
                         error = { at, "error", 0 };
    uint64_t code;

    if (!json_object_is_type(item, json_type_object))
        return jr_fail_field(&d->jr, at, "must be an object");
    if (jr_member(item, &slot))
        return jr_uint(&d->jr, item, &slot, 1, INT64_MAX, &r->slot) ||
               jr_ballot(&d->jr, item, at, &r->ballot) ? -1 : 0;
    if (jr_uint(&d->jr, item, &status, 400, 599, &code) != 0)
        return -1;
    r->status = (int)code;
    return jr_string(&d->jr, jr_member(item, &error), &error, 1024, &r->error);
}

static int read_results(struct decoder *d, json_object *obj, struct msg *m)
{
    const struct jr_path field = { NULL, "results", 0 };
    json_object *array;
    size_t n;

    if (read_array(d, obj, &field, &array, &n) < 0)
        return -1;
    if (n && !(m->results = calloc(n, sizeof *m->results)))
        return jr_fail(&d->jr, "out of memory");
    m->n_results = n;
    for (size_t i = 0; i < n; i++)
        if (read_result(d, json_object_array_get_idx(array, i),
                        &(struct jr_path){ &field, NULL, i },
                        &m->results[i]) != 0)
            return -1;
    return 0;
}

/* A member or cluster identity: exactly len lowercase hex digits (or ""
 * when empty_allowed). */
static int read_id(struct decoder *d, json_object *root, const char *key,
                   size_t len, bool empty_allowed, char *out)
{
    const struct jr_path field = { NULL, key, 0 };
    json_object *val = jr_member(root, &field);
    char *s = NULL;
    size_t n;

    if (!val)
        return jr_fail_field(&d->jr, &field, "is missing");
    if (jr_string(&d->jr, val, &field, len, &s) != 0)
        return -1;
    n = strspn(s, "0123456789abcdef");
    if ((n != len || s[n]) && !(empty_allowed && !s[0])) {
        free(s);
        return jr_fail_field(&d->jr, &field, "must be %zu lowercase hex digits",
                             len);
    }
    memcpy(out, s, strlen(s) + 1);
    free(s);
    return 0;
}

/* A configuration object, required unless F_CONFIG_OPTIONAL. */
static int read_config(struct decoder *d, json_object *root, const char *key,
                       unsigned fields, struct voters **out)
{
    const struct jr_path field = { NULL, key, 0 };
    json_object *val = jr_member(root, &field);

    if (!val)
        return fields & F_CONFIG_OPTIONAL ? 0
                                          : jr_fail_field(&d->jr, &field, "is missing");
    if (!(*out = malloc(sizeof(**out))))
        return jr_fail(&d->jr, "out of memory");
    if (voters_read(&d->jr, val, &field, *out) != 0)
        return -1;
    if (!(*out)->epoch)
        return jr_fail_field(&d->jr, &field, "must have an epoch and a first slot");
    return 0;
}

/* The chain of configurations, required unless F_CONFIG_OPTIONAL. */
static int read_chain(struct decoder *d, json_object *root, unsigned fields,
                      struct voters_chain **out)
{
    const struct jr_path field = { NULL, "configs", 0 };
    json_object *val = jr_member(root, &field);

    if (!val)
        return fields & F_CONFIG_OPTIONAL ? 0
                                          : jr_fail_field(&d->jr, &field, "is missing");
    if (!(*out = malloc(sizeof(**out))))
        return jr_fail(&d->jr, "out of memory");
    return chain_read(&d->jr, val, &field, *out);
}

static int read_fields(struct decoder *d, json_object *root,
                       const struct msg_layout *layout, struct msg *m)
{
    unsigned f = layout->fields;

    if ((f & F_FROM) && jr_u32(&d->jr, root, &(struct jr_path){ NULL, "from", 0 }, &m->from))
        return -1;
    if ((f & F_OK) && jr_bool(&d->jr, root, &(struct jr_path){ NULL, "ok", 0 }, &m->ok))
        return -1;
    if ((f & F_SLOT) && jr_uint(&d->jr, root, &(struct jr_path){ NULL, "slot", 0 }, 0,
                                  INT64_MAX, &m->slot))
        return -1;
    if ((f & F_BALLOT) && jr_ballot(&d->jr, root, NULL, &m->ballot))
        return -1;
    if ((f & F_FROM_SLOT) && jr_uint(&d->jr, root, &(struct jr_path){ NULL, "from_slot", 0 },
                                       0, INT64_MAX, &m->from_slot))
        return -1;
    if ((f & F_UPTO) && jr_uint(&d->jr, root, &(struct jr_path){ NULL, "upto", 0 }, 0,
                                  INT64_MAX, &m->upto))
        return -1;
    if ((f & F_COMMIT) && jr_uint(&d->jr, root, &(struct jr_path){ NULL, "commit", 0 }, 0,
                                    INT64_MAX, &m->commit))
        return -1;
    if ((f & F_TRIMMED) && jr_uint(&d->jr, root, &(struct jr_path){ NULL, "trimmed", 0 }, 0,
                                     INT64_MAX, &m->trimmed))
        return -1;
    if ((f & F_VALUE) && read_value(d, root, NULL, layout->value, &m->value))
        return -1;
    if ((f & F_ENTRIES) && read_entries(d, root, f, m))
        return -1;
    if ((f & F_WRITES) && read_writes(d, root, m))
        return -1;
    if ((f & F_RESULTS) && read_results(d, root, m))
        return -1;
    if ((f & F_MEMBER) && read_id(d, root, "member", MEMBER_ID_LEN, false,
                                  m->member))
        return -1;
    if ((f & F_ACTIVE) && jr_bool(&d->jr, root, &(struct jr_path){ NULL, "active", 0 },
                                  &m->active))
        return -1;
    if ((f & F_CONFIG) && read_chain(d, root, f, &m->chain))
        return -1;
    if ((f & F_CLUSTER) && read_id(d, root, "cluster", CLUSTER_ID_LEN,
                                   f & F_CONFIG_OPTIONAL, m->cluster))
        return -1;
    if ((f & F_FOUNDING) && read_config(d, root, "founding", f, &m->founding))
        return -1;
    return 0;
}

int msg_decode(enum msg_type type, const char *text, size_t len,
               size_t max_value, struct msg *m, char *err, size_t errlen)
{
    struct decoder d = { { err, errlen }, max_value };
    const struct msg_layout *layout = layout_of(type);
    json_object *root = NULL;
    int rc = -1;

    *m = (struct msg){ .type = type };
    if (!layout)
        jr_fail(&d.jr, "unknown message type %d", (int)type);
    else if (jr_parse(&d.jr, text, len, MSG_MAX_DEPTH, &root) == 0)
        rc = read_fields(&d, root, layout, m);
    if (rc != 0) {
        msg_free(m);
        *m = (struct msg){ 0 };
    }
    json_object_put(root);
    return rc;
}

/* ---- status pages ---- */

struct json_object *codec_ballot_json(struct ballot b)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "round", json_object_new_int64(b.round));
    json_object_object_add(o, "node", json_object_new_int64(b.node));
    return o;
}

struct json_object *codec_value_json(uint64_t slot, const struct pvalue *v)
{
    struct json_object *o = json_object_new_object();

    json_object_object_add(o, "slot", json_object_new_int64((int64_t)slot));
    if (pvalue_is_noop(v)) {
        json_object_object_add(o, "noop", json_object_new_boolean(1));
        return o;
    }
    if (voters_is_value(v)) {
        struct voters *config = malloc(sizeof(*config));
        char err[160];
        /* A configuration the log holds: its voters, not text. */
        if (config && voters_decode(v->data, strlen(v->data), config, err,
                                    sizeof err) == 0) {
            json_object_object_add(o, "config", voters_value_json(config));
            free(config);
            return o;
        }
        free(config);
    }
    json_object_object_add(o, "value", json_object_new_string(v->data));
    json_object_object_add(o, "client_id",
                           json_object_new_string(v->client ? v->client : ""));
    json_object_object_add(o, "seq", json_object_new_int64((int64_t)v->seq));
    return o;
}

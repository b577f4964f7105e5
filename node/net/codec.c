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
#include "net/jsonwrite.h"

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
    F_APPLIED = 1 << 20,            /* "applied": [slot, seq] pairs */
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
    [MSG_NOTIFY] = { .fields = F_FROM | F_APPLIED },
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

void codec_write_ballot(struct jw *w, struct ballot b)
{
    jw_open(w, '{');
    jw_key(w, "round");
    jw_u64(w, b.round);
    jw_key(w, "node");
    jw_u64(w, b.node);
    jw_close(w, '}');
}

/* A value's fields, in the object open in w. */
static void write_value(struct jw *w, const struct pvalue *v,
                        struct value_rules rules)
{
    if (pvalue_is_noop(v)) {
        jw_key(w, "noop");
        jw_bool(w, true);
        return;
    }
    jw_key(w, "value");
    jw_str(w, v->data);
    if (v->client || !rules.writer_optional) {
        jw_key(w, "client_id");
        jw_str(w, v->client ? v->client : "");
    }
    jw_key(w, "seq");
    jw_u64(w, v->seq);
}

static void write_entries(struct jw *w, const struct msg *m, bool with_ballot)
{
    jw_open(w, '[');
    for (size_t i = 0; i < m->n_entries; i++) {
        const struct msg_entry *e = &m->entries[i];
        jw_open(w, '{');
        jw_key(w, "slot");
        jw_u64(w, e->slot);
        if (with_ballot) {
            jw_key(w, "ballot");
            codec_write_ballot(w, e->ballot);
        }
        write_value(w, &e->value, entry_value_rules);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

static void write_writes(struct jw *w, const struct msg *m)
{
    jw_open(w, '[');
    for (size_t i = 0; i < m->n_entries; i++) {
        jw_open(w, '{');
        write_value(w, &m->entries[i].value, entry_value_rules);
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* Each entry's slot and its value's seq, as [slot, seq]. */
static void write_applied(struct jw *w, const struct msg *m)
{
    jw_open(w, '[');
    for (size_t i = 0; i < m->n_entries; i++) {
        jw_open(w, '[');
        jw_u64(w, m->entries[i].slot);
        jw_u64(w, m->entries[i].value.seq);
        jw_close(w, ']');
    }
    jw_close(w, ']');
}

static void write_results(struct jw *w, const struct msg *m)
{
    jw_open(w, '[');
    for (size_t i = 0; i < m->n_results; i++) {
        const struct msg_result *r = &m->results[i];
        jw_open(w, '{');
        if (r->slot) {
            jw_key(w, "slot");
            jw_u64(w, r->slot);
            jw_key(w, "ballot");
            codec_write_ballot(w, r->ballot);
        } else {
            jw_key(w, "status");
            jw_i64(w, r->status);
            jw_key(w, "error");
            jw_str(w, r->error ? r->error : "");
        }
        jw_close(w, '}');
    }
    jw_close(w, ']');
}

/* Configurations keep their one JSON form (core/voters.c); they go once
 * per message, not once per write. Takes ownership of obj. */
static void write_object(struct jw *w, json_object *obj)
{
    size_t len;
    const char *text = obj ? json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len)
                           : NULL;

    if (text)
        jw_raw(w, text, len);
    else
        w->failed = true;
    json_object_put(obj);
}

static void write_number(struct jw *w, const char *key, uint64_t n)
{
    jw_key(w, key);
    jw_u64(w, n);
}

char *msg_encode(const struct msg *m)
{
    const struct msg_layout *layout = layout_of(m->type);
    unsigned f = layout ? layout->fields : 0;
    struct jw w = JW_INIT;

    if (!layout)
        return NULL;
    jw_open(&w, '{');
    if (f & F_FROM)
        write_number(&w, "from", m->from);
    if (f & F_OK) {
        jw_key(&w, "ok");
        jw_bool(&w, m->ok);
    }
    if (f & F_SLOT)
        write_number(&w, "slot", m->slot);
    if (f & F_BALLOT) {
        jw_key(&w, "ballot");
        codec_write_ballot(&w, m->ballot);
    }
    if (f & F_FROM_SLOT)
        write_number(&w, "from_slot", m->from_slot);
    if (f & F_UPTO)
        write_number(&w, "upto", m->upto);
    if (f & F_COMMIT)
        write_number(&w, "commit", m->commit);
    if (f & F_TRIMMED)
        write_number(&w, "trimmed", m->trimmed);
    if (f & F_VALUE)
        write_value(&w, &m->value, layout->value);
    if (f & F_ENTRIES) {
        jw_key(&w, "entries");
        write_entries(&w, m, f & F_ENTRY_BALLOT);
    }
    if (f & F_WRITES) {
        jw_key(&w, "writes");
        write_writes(&w, m);
    }
    if (f & F_RESULTS) {
        jw_key(&w, "results");
        write_results(&w, m);
    }
    if (f & F_APPLIED) {
        jw_key(&w, "applied");
        write_applied(&w, m);
    }
    if (f & F_MEMBER) {
        jw_key(&w, "member");
        jw_str(&w, m->member);
    }
    if (f & F_ACTIVE) {
        jw_key(&w, "active");
        jw_bool(&w, m->active);
    }
    if ((f & F_CONFIG) && m->chain) {
        jw_key(&w, "configs");
        write_object(&w, chain_json(m->chain));
    }
    if (f & F_CLUSTER) {
        jw_key(&w, "cluster");
        jw_str(&w, m->cluster);
    }
    if ((f & F_FOUNDING) && m->founding) {
        jw_key(&w, "founding");
        write_object(&w, voters_json(m->founding));
    }
    jw_close(&w, '}');
    return jw_finish(&w);
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

/* An array member of at most MSG_MAX_ENTRIES items, in *array with its
 * length in *n, and room for as many items of size bytes each in *items
 * (zeroed; NULL when empty), which the message then owns. */
static int read_array(struct decoder *d, json_object *obj,
                      const struct jr_path *field, json_object **array,
                      size_t *n, size_t size, void **items)
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
    if (*n && !(*items = calloc(*n, size)))
        return jr_fail(&d->jr, "out of memory");
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
    void *items = NULL;
    size_t n;

    if (read_array(d, obj, &field, &array, &n, sizeof *m->entries, &items) < 0)
        return -1;
    m->entries = items;
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
    void *items = NULL;
    size_t n;

    if (read_array(d, obj, &field, &array, &n, sizeof *m->results, &items) < 0)
        return -1;
    m->results = items;
    m->n_results = n;
    for (size_t i = 0; i < n; i++)
        if (read_result(d, json_object_array_get_idx(array, i),
                        &(struct jr_path){ &field, NULL, i },
                        &m->results[i]) != 0)
            return -1;
    return 0;
}

/* "applied": [slot, seq] pairs, into entries (slot and value.seq). */
static int read_applied(struct decoder *d, json_object *obj, struct msg *m)
{
    const struct jr_path field = { NULL, "applied", 0 };
    json_object *array;
    void *items = NULL;
    size_t n;

    if (read_array(d, obj, &field, &array, &n, sizeof *m->entries, &items) < 0)
        return -1;
    m->entries = items;
    m->n_entries = n;
    for (size_t i = 0; i < n; i++) {
        const struct jr_path at = { &field, NULL, i };
        const struct jr_path slot = { &at, NULL, 0 }, seq = { &at, NULL, 1 };
        json_object *pair = json_object_array_get_idx(array, i);
        struct msg_entry *e = &m->entries[i];
        if (!json_object_is_type(pair, json_type_array) ||
            json_object_array_length(pair) != 2)
            return jr_fail_field(&d->jr, &at, "must be [slot, seq]");
        if (jr_uint_value(&d->jr, json_object_array_get_idx(pair, 0), &slot,
                          1, INT64_MAX, &e->slot) ||
            jr_uint_value(&d->jr, json_object_array_get_idx(pair, 1), &seq,
                          0, INT64_MAX, &e->value.seq))
            return -1;
    }
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
    if ((f & F_APPLIED) && read_applied(d, root, m))
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

/* codec.c -- JSON encoding and strict decoding of peer messages (see codec.h).
 *
 * One table says which fields each message type carries; the encoder writes
 * exactly those and the decoder requires them (PROMISE's entries and a
 * client's writer id are optional) and ignores any others. Decoded strings are
 * owned by the struct msg being filled, so on any error msg_free() releases
 * everything decoded so far. */
#include "codec.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* json-c counts every value as a level, scalars included: the deepest
 * message is object > entries > entry > ballot > round, five levels. */
#define MSG_MAX_DEPTH 5
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
    [MSG_PROMISE] = { .fields = F_FROM | F_OK | F_BALLOT | F_ENTRIES |
                                F_ENTRIES_OPTIONAL | F_ENTRY_BALLOT },
    [MSG_ACCEPT] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_ENTRIES },
    [MSG_ACCEPTED] = { .fields = F_FROM | F_OK | F_BALLOT },
    [MSG_LEARN] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_ENTRIES },
    [MSG_HEARTBEAT] = { .fields = F_FROM | F_BALLOT | F_COMMIT },
    [MSG_LISTING] = { .fields = F_FROM | F_BALLOT | F_COMMIT | F_FROM_SLOT |
                                F_UPTO | F_ENTRIES | F_ENTRY_BALLOT },
    [MSG_NOTIFY] = { .fields = F_FROM | F_ENTRIES },
    [MSG_PROPOSE] = { .fields = F_VALUE,
                      .value = { .noop_allowed = false, .writer_optional = true } },
    [MSG_CHOSEN] = { .fields = F_SLOT | F_BALLOT | F_FROM | F_VALUE,
                     .value = { .noop_allowed = true, .writer_optional = true } },
};

static const struct msg_layout *layout_of(enum msg_type type)
{
    if ((size_t)type >= sizeof layouts / sizeof layouts[0])
        return NULL;
    return &layouts[type];
}

void msg_free(struct msg *m)
{
    for (size_t i = 0; i < m->n_entries; i++)
        pvalue_free(&m->entries[i].value);
    free(m->entries);
    m->entries = NULL;
    m->n_entries = 0;
    pvalue_free(&m->value);
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
    if ((f & F_VALUE) && !put_value(root, &m->value, layout->value))
        goto cleanup;
    if ((f & F_ENTRIES) &&
        !put(root, "entries", entries_to_json(m, f & F_ENTRY_BALLOT)))
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

/* Where a field sits, for error messages: "entries[3].ballot.round". A
 * node names a key of its parent, or (key NULL) an index into it. */
struct path {
    const struct path *parent;
    const char *key;
    size_t index;
};

struct decoder {
    size_t max_value;
    char *err;
    size_t errlen;
};

static size_t path_format(const struct path *p, char *buf, size_t len)
{
    size_t used = p->parent ? path_format(p->parent, buf, len) : 0;
    int n = p->key ? snprintf(buf + used, len - used, "%s%s", used ? "." : "", p->key)
                   : snprintf(buf + used, len - used, "[%zu]", p->index);

    used += n > 0 ? (size_t)n : 0;
    return used < len ? used : len - 1;
}

__attribute__((format(printf, 2, 3)))
static int fail(struct decoder *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->err, d->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Sets err to "field 'PATH' " followed by the formatted reason. */
__attribute__((format(printf, 3, 4)))
static int fail_field(struct decoder *d, const struct path *field,
                      const char *fmt, ...)
{
    char name[128], reason[128];
    va_list ap;

    path_format(field, name, sizeof name);
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return fail(d, "field '%s' %s", name, reason);
}

/* The member field->key of obj, or NULL when absent or JSON null. */
static json_object *member(json_object *obj, const struct path *field)
{
    json_object *val = NULL;

    json_object_object_get_ex(obj, field->key, &val);
    return val;
}

static int read_uint(struct decoder *d, json_object *obj, const struct path *field,
                     uint64_t min, uint64_t max, uint64_t *out)
{
    json_object *val = member(obj, field);

    if (!val)
        return fail_field(d, field, "is missing");
    if (!json_object_is_type(val, json_type_int) || json_object_get_int64(val) < 0)
        return fail_field(d, field, "must be a non-negative integer");
    *out = json_object_get_uint64(val);
    if (*out < min || *out > max)
        return fail_field(d, field, "must be in %" PRIu64 "..%" PRIu64, min, max);
    return 0;
}

static int read_u32(struct decoder *d, json_object *obj, const struct path *field,
                    uint32_t *out)
{
    uint64_t v;

    if (read_uint(d, obj, field, 0, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int read_bool(struct decoder *d, json_object *obj, const struct path *field,
                     bool *out)
{
    json_object *val = member(obj, field);

    if (!val)
        return fail_field(d, field, "is missing");
    if (!json_object_is_type(val, json_type_boolean))
        return fail_field(d, field, "must be true or false");
    *out = json_object_get_boolean(val);
    return 0;
}

/* Copies a JSON string of at most max_len bytes (no NUL inside) to *out. */
static int read_string(struct decoder *d, json_object *val, const struct path *field,
                       size_t max_len, char **out)
{
    if (!json_object_is_type(val, json_type_string))
        return fail_field(d, field, "must be a string");
    size_t len = (size_t)json_object_get_string_len(val);
    const char *s = json_object_get_string(val);
    if (len > max_len)
        return fail_field(d, field, "is %zu bytes, the limit is %zu", len, max_len);
    if (memchr(s, '\0', len))
        return fail_field(d, field, "must not contain NUL characters");
    if (!(*out = malloc(len + 1)))
        return fail(d, "out of memory");
    memcpy(*out, s, len + 1);
    return 0;
}

static int read_ballot(struct decoder *d, json_object *obj, const struct path *parent,
                       struct ballot *out)
{
    const struct path field = { parent, "ballot", 0 };
    json_object *val = member(obj, &field);

    if (!val)
        return fail_field(d, &field, "is missing");
    if (!json_object_is_type(val, json_type_object))
        return fail_field(d, &field, "must be an object");
    if (read_u32(d, val, &(struct path){ &field, "round", 0 }, &out->round) != 0 ||
        read_u32(d, val, &(struct path){ &field, "node", 0 }, &out->node) != 0)
        return -1;
    return 0;
}

/* The writer id: a string, or for lenient writers also a number. */
static int read_client_id(struct decoder *d, json_object *val, const struct path *field,
                          struct value_rules rules, char **out)
{
    if (!rules.writer_optional || !json_object_is_type(val, json_type_int))
        return read_string(d, val, field, CLIENT_ID_MAX, out);
    if (json_object_get_int64(val) < 0)
        return fail_field(d, field, "must be a string or a non-negative integer");
    if (asprintf(out, "%" PRIu64, json_object_get_uint64(val)) < 0) {
        *out = NULL;
        return fail(d, "out of memory");
    }
    return 0;
}

/* Reads "value","client_id","seq" or "noop":true from obj into *out. */
static int read_value(struct decoder *d, json_object *obj, const struct path *parent,
                      struct value_rules rules, struct pvalue *out)
{
    const struct path value_field = { parent, "value", 0 };
    const struct path noop_field = { parent, "noop", 0 };
    const struct path client_field = { parent, "client_id", 0 };
    const struct path seq_field = { parent, "seq", 0 };
    json_object *value = member(obj, &value_field);

    if (!value && rules.noop_allowed && member(obj, &noop_field)) {
        bool noop = false;
        if (read_bool(d, obj, &noop_field, &noop) != 0)
            return -1;
        return noop ? 0 : fail_field(d, &noop_field, "must be true");
    }
    if (!value)
        return fail_field(d, &value_field, "is missing");
    if (read_string(d, value, &value_field, d->max_value, &out->data) != 0)
        return -1;

    json_object *client = member(obj, &client_field);
    if (!client && !rules.writer_optional)
        return fail_field(d, &client_field, "is missing");
    if (client && read_client_id(d, client, &client_field, rules, &out->client) != 0)
        return -1;
    if (!member(obj, &seq_field) && rules.writer_optional)
        return 0;
    return read_uint(d, obj, &seq_field, 0, INT64_MAX, &out->seq);
}

static int read_entry(struct decoder *d, json_object *obj, const struct path *field,
                      bool with_ballot, struct msg_entry *out)
{
    if (!json_object_is_type(obj, json_type_object))
        return fail_field(d, field, "must be an object");
    if (read_uint(d, obj, &(struct path){ field, "slot", 0 }, 1, INT64_MAX,
                  &out->slot) != 0)
        return -1;
    if (with_ballot && read_ballot(d, obj, field, &out->ballot) != 0)
        return -1;
    return read_value(d, obj, field, entry_value_rules, &out->value);
}

static int read_entries(struct decoder *d, json_object *obj, unsigned fields,
                        struct msg *m)
{
    const struct path field = { NULL, "entries", 0 };
    json_object *array = member(obj, &field);

    if (!array)
        return fields & F_ENTRIES_OPTIONAL ? 0 : fail_field(d, &field, "is missing");
    if (!json_object_is_type(array, json_type_array))
        return fail_field(d, &field, "must be an array");
    size_t n = json_object_array_length(array);
    if (n > MSG_MAX_ENTRIES)
        return fail_field(d, &field, "has %zu entries, the limit is %d", n,
                          MSG_MAX_ENTRIES);
    if (n == 0)
        return 0;
    if (!(m->entries = calloc(n, sizeof *m->entries)))
        return fail(d, "out of memory");
    m->n_entries = n;
    for (size_t i = 0; i < n; i++) {
        if (read_entry(d, json_object_array_get_idx(array, i),
                       &(struct path){ &field, NULL, i }, fields & F_ENTRY_BALLOT,
                       &m->entries[i]) != 0)
            return -1;
    }
    return 0;
}

static int read_fields(struct decoder *d, json_object *root,
                       const struct msg_layout *layout, struct msg *m)
{
    unsigned f = layout->fields;

    if ((f & F_FROM) && read_u32(d, root, &(struct path){ NULL, "from", 0 }, &m->from))
        return -1;
    if ((f & F_OK) && read_bool(d, root, &(struct path){ NULL, "ok", 0 }, &m->ok))
        return -1;
    if ((f & F_SLOT) && read_uint(d, root, &(struct path){ NULL, "slot", 0 }, 0,
                                  INT64_MAX, &m->slot))
        return -1;
    if ((f & F_BALLOT) && read_ballot(d, root, NULL, &m->ballot))
        return -1;
    if ((f & F_FROM_SLOT) && read_uint(d, root, &(struct path){ NULL, "from_slot", 0 },
                                       0, INT64_MAX, &m->from_slot))
        return -1;
    if ((f & F_UPTO) && read_uint(d, root, &(struct path){ NULL, "upto", 0 }, 0,
                                  INT64_MAX, &m->upto))
        return -1;
    if ((f & F_COMMIT) && read_uint(d, root, &(struct path){ NULL, "commit", 0 }, 0,
                                    INT64_MAX, &m->commit))
        return -1;
    if ((f & F_VALUE) && read_value(d, root, NULL, layout->value, &m->value))
        return -1;
    if ((f & F_ENTRIES) && read_entries(d, root, f, m))
        return -1;
    return 0;
}

/* Offset of the first character that is not JSON whitespace. */
static size_t skip_space(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                       text[i] == '\n'))
        i++;
    return i;
}

int msg_decode(enum msg_type type, const char *text, size_t len,
               size_t max_value, struct msg *m, char *err, size_t errlen)
{
    struct decoder d = { max_value, err, errlen };
    const struct msg_layout *layout = layout_of(type);
    size_t start = skip_space(text, len);
    json_tokener *tok = NULL;
    json_object *root = NULL;
    enum json_tokener_error parse_error;
    int rc = -1;

    *m = (struct msg){ .type = type };
    if (!layout) {
        fail(&d, "unknown message type %d", (int)type);
        goto cleanup;
    }
    if (len > INT_MAX) {
        fail(&d, "message is %zu bytes, too large to parse", len);
        goto cleanup;
    }
    if (start == len || text[start] != '{') {
        fail(&d, "message must be a JSON object");
        goto cleanup;
    }
    if (!(tok = json_tokener_new_ex(MSG_MAX_DEPTH))) {
        fail(&d, "out of memory");
        goto cleanup;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, text, (int)len);
    parse_error = json_tokener_get_error(tok);
    if (parse_error == json_tokener_continue) {
        fail(&d, "malformed JSON: unexpected end of input");
        goto cleanup;
    }
    if (parse_error != json_tokener_success) {
        fail(&d, "malformed JSON: %s at offset %zu",
             json_tokener_error_desc(parse_error), json_tokener_get_parse_end(tok));
        goto cleanup;
    }
    if (json_tokener_get_parse_end(tok) != len) {
        fail(&d, "malformed JSON: trailing data at offset %zu",
             json_tokener_get_parse_end(tok));
        goto cleanup;
    }
    rc = read_fields(&d, root, layout, m);
cleanup:
    if (rc != 0) {
        msg_free(m);
        *m = (struct msg){ 0 };
    }
    json_object_put(root);
    if (tok)    /* json_tokener_free() does not accept NULL */
        json_tokener_free(tok);
    return rc;
}

/* model.c -- paxos-top's model (see model.h): reads the nodes' /status
 * and the learners' /get-values with json-c, keeps each node's last view,
 * turns what changed between two polls into events, merges the learned
 * log, derives the header's figures and the acceptor set (which
 * configuration is in force, where each acceptor stands), and reads and
 * writes the changes of that set (POST /voters). No I/O and no drawing:
 * every function here runs on recorded JSON.
 *
 * A /status answer is parsed into a fresh view first; only a complete,
 * well-typed answer replaces the node's view, so a malformed one leaves
 * the last good figures in place and marks the node down with the reason. */
#include "model.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "jsonread.h"

#define JSON_MAX_DEPTH 16
#define LOG_KEEP 10000              /* learned-log slots kept, the newest */
#define LOG_SLACK (LOG_KEEP / 4)    /* the log is trimmed this far over */
#define QUOTE_MAX 40                /* a value quoted in an event */
#define DETAILED_RESPONSES 3        /* more new client responses: a summary */

#define FIELD(parent, name) (&(struct jr_path){ (parent), (name), 0 })
#define ITEM(parent, i) (&(struct jr_path){ (parent), NULL, (i) })

/* The outcome of one of a client's recent writes. */
struct outcome {
    bool chosen;
    uint64_t latency_ms;
    char error[96];
};

/* A /status answer as parsed, before it replaces the node's view. */
struct status_reply {
    struct node_view view;
    struct outcome outcomes[MODEL_RECENT];  /* client: recent's outcomes */
};

/* ---- text ---- */

/* Copies len bytes of s into dst, cut at a character boundary with "..."
 * when they do not fit; control characters become '?' so that a value
 * stays on one line. */
static void copy_cut(char *dst, size_t size, const char *s, size_t len)
{
    static const char more[] = "...";
    size_t keep = len;

    if (keep >= size) {
        keep = size - sizeof more;
        while (keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
    }
    for (size_t i = 0; i < keep; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (keep < len)
        memcpy(dst + keep, more, sizeof more);
    else
        dst[keep] = '\0';
}

static void copy_text(char *dst, size_t size, const char *s)
{
    copy_cut(dst, size, s, strlen(s));
}

/* Compares names with their digit runs as numbers: proposer2 < proposer10. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *end_a, *end_b;
            unsigned long long x = strtoull(a, &end_a, 10);
            unsigned long long y = strtoull(b, &end_b, 10);
            if (x != y)
                return x < y ? -1 : 1;
            a = end_a;
            b = end_b;
        } else if (*a != *b) {
            break;
        } else {
            a++;
            b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* ---- optional JSON fields: absent or null leaves *out alone, another
 * type fails with the field's path ---- */

static int opt_uint(struct jr *d, json_object *obj, const struct jr_path *f,
                    uint64_t *out)
{
    return jr_member(obj, f) ? jr_uint(d, obj, f, 0, UINT64_MAX, out) : 0;
}

static int opt_u32(struct jr *d, json_object *obj, const struct jr_path *f,
                   uint32_t *out)
{
    return jr_member(obj, f) ? jr_u32(d, obj, f, out) : 0;
}

static int opt_bool(struct jr *d, json_object *obj, const struct jr_path *f,
                    bool *out)
{
    return jr_member(obj, f) ? jr_bool(d, obj, f, out) : 0;
}

static int opt_ballot(struct jr *d, json_object *obj, const struct jr_path *f,
                      struct ballot *out)
{
    json_object *val = jr_member(obj, f);

    if (!val)
        return 0;
    if (!json_object_is_type(val, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    if (jr_u32(d, val, FIELD(f, "round"), &out->round) != 0 ||
        jr_u32(d, val, FIELD(f, "node"), &out->node) != 0)
        return -1;
    return 0;
}

/* A string into out: cut to fit when cut is true (a value's text), else
 * refused when longer (a name, a role, a state). */
static int opt_string(struct jr *d, json_object *obj, const struct jr_path *f,
                      char *out, size_t size, bool cut)
{
    json_object *val = jr_member(obj, f);

    if (!val)
        return 0;
    if (!json_object_is_type(val, json_type_string))
        return jr_fail_field(d, f, "must be a string");
    size_t len = (size_t)json_object_get_string_len(val);
    if (!cut && len >= size)
        return jr_fail_field(d, f, "is %zu bytes, the limit is %zu", len,
                             size - 1);
    copy_cut(out, size, json_object_get_string(val), len);
    return 0;
}

static int opt_object(struct jr *d, json_object *obj, const struct jr_path *f,
                      json_object **out)
{
    *out = jr_member(obj, f);
    if (*out && !json_object_is_type(*out, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    return 0;
}

static int opt_array(struct jr *d, json_object *obj, const struct jr_path *f,
                     json_object **out)
{
    *out = jr_member(obj, f);
    if (*out && !json_object_is_type(*out, json_type_array))
        return jr_fail_field(d, f, "must be an array");
    return 0;
}

/* ---- /status ---- */

static int parse_value(struct jr *d, json_object *obj,
                       const struct jr_path *f, struct value_view *v)
{
    const struct jr_path *slot = FIELD(f, "slot");

    memset(v, 0, sizeof *v);
    if (!json_object_is_type(obj, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    /* At most INT64_MAX, as in every message (codec.h): a slot after the
     * last one must exist for model_values_from. */
    if ((jr_member(obj, slot) && jr_uint(d, obj, slot, 0, INT64_MAX, &v->slot) != 0) ||
        opt_ballot(d, obj, FIELD(f, "ballot"), &v->ballot) != 0 ||
        opt_bool(d, obj, FIELD(f, "noop"), &v->noop) != 0 ||
        opt_string(d, obj, FIELD(f, "value"), v->text, sizeof v->text,
                   true) != 0)
        return -1;
    return 0;
}

static int parse_outcome(struct jr *d, json_object *obj,
                         const struct jr_path *f, struct outcome *o)
{
    char status[16] = "";

    memset(o, 0, sizeof *o);
    if (opt_string(d, obj, FIELD(f, "status"), status, sizeof status,
                   false) != 0 ||
        opt_uint(d, obj, FIELD(f, "latency_ms"), &o->latency_ms) != 0 ||
        opt_string(d, obj, FIELD(f, "error"), o->error, sizeof o->error,
                   true) != 0)
        return -1;
    o->chosen = strcmp(status, "chosen") == 0;
    return 0;
}

/* The last max elements of the array at key into out (and, for a
 * client's responses, their outcomes); *n says how many. */
static int parse_values(struct jr *d, json_object *root, const char *key,
                        struct value_view *out, struct outcome *outcomes,
                        size_t max, size_t *n)
{
    const struct jr_path *f = FIELD(NULL, key);
    json_object *arr;

    *n = 0;
    if (opt_array(d, root, f, &arr) != 0)
        return -1;
    size_t len = arr ? json_object_array_length(arr) : 0;
    for (size_t k = len > max ? len - max : 0; k < len; k++) {
        json_object *item = json_object_array_get_idx(arr, k);
        if (parse_value(d, item, ITEM(f, k), &out[*n]) != 0 ||
            (outcomes && parse_outcome(d, item, ITEM(f, k),
                                       &outcomes[*n]) != 0))
            return -1;
        (*n)++;
    }
    return 0;
}

static int parse_member(struct jr *d, json_object *obj,
                        const struct jr_path *f, struct member_view *mv)
{
    if (!json_object_is_type(obj, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    if (opt_u32(d, obj, FIELD(f, "id"), &mv->id) != 0 ||
        opt_string(d, obj, FIELD(f, "name"), mv->name, sizeof mv->name,
                   false) != 0 ||
        opt_string(d, obj, FIELD(f, "state"), mv->state, sizeof mv->state,
                   false) != 0)
        return -1;
    return 0;
}

/* v->members is allocated here; the caller frees it, also on failure. */
static int parse_members(struct jr *d, json_object *root, struct node_view *v)
{
    const struct jr_path *f = FIELD(NULL, "members");
    json_object *arr;

    if (opt_array(d, root, f, &arr) != 0)
        return -1;
    size_t len = arr ? json_object_array_length(arr) : 0;
    if (len == 0)
        return 0;
    if (!(v->members = calloc(len, sizeof *v->members)))
        return jr_fail(d, "out of memory");
    for (size_t k = 0; k < len; k++) {
        if (parse_member(d, json_object_array_get_idx(arr, k), ITEM(f, k),
                         &v->members[k]) != 0)
            return -1;
        v->n_members++;
    }
    return 0;
}

static int parse_member_counts(struct jr *d, json_object *root,
                               struct node_view *v)
{
    const struct jr_path *f = FIELD(NULL, "member_counts");
    uint64_t alive = 0, suspect = 0, dead = 0;
    json_object *counts;

    if (opt_object(d, root, f, &counts) != 0)
        return -1;
    if (counts && (opt_uint(d, counts, FIELD(f, "alive"), &alive) != 0 ||
                   opt_uint(d, counts, FIELD(f, "suspect"), &suspect) != 0 ||
                   opt_uint(d, counts, FIELD(f, "dead"), &dead) != 0))
        return -1;
    v->alive = (size_t)alive;
    v->suspect = (size_t)suspect;
    v->dead = (size_t)dead;
    return 0;
}

static int parse_voter(struct jr *d, json_object *obj,
                       const struct jr_path *f, struct voter_view *v)
{
    char host[sizeof v->address] = "";
    uint64_t port = 0;

    if (!json_object_is_type(obj, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    if (opt_u32(d, obj, FIELD(f, "id"), &v->id) != 0 ||
        opt_string(d, obj, FIELD(f, "name"), v->name, sizeof v->name,
                   false) != 0 ||
        opt_string(d, obj, FIELD(f, "member"), v->member, sizeof v->member,
                   false) != 0 ||
        opt_string(d, obj, FIELD(f, "host"), host, sizeof host, true) != 0 ||
        (jr_member(obj, FIELD(f, "port")) &&
         jr_uint(d, obj, FIELD(f, "port"), 1, 65535, &port) != 0))
        return -1;
    if (host[0])
        snprintf(v->address, sizeof v->address, "%s:%" PRIu64, host, port);
    return 0;
}

static int parse_config(struct jr *d, json_object *obj,
                        const struct jr_path *f, struct config_view *c)
{
    const struct jr_path *voters = FIELD(f, "voters");
    json_object *arr;

    if (!json_object_is_type(obj, json_type_object))
        return jr_fail_field(d, f, "must be an object");
    if (opt_uint(d, obj, FIELD(f, "epoch"), &c->epoch) != 0 ||
        opt_uint(d, obj, FIELD(f, "first_slot"), &c->first_slot) != 0 ||
        opt_array(d, obj, voters, &arr) != 0)
        return -1;
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n > MODEL_VOTERS)
        return jr_fail_field(d, voters, "has %zu voters, at most %d", n,
                             MODEL_VOTERS);
    for (size_t k = 0; k < n; k++) {
        if (parse_voter(d, json_object_array_get_idx(arr, k),
                        ITEM(voters, k), &c->voters[k]) != 0)
            return -1;
        c->n_voters++;
    }
    return 0;
}

/* "configs": the chain of configurations the node knows, oldest first. */
static int parse_configs(struct jr *d, json_object *root, struct node_view *v)
{
    const struct jr_path *f = FIELD(NULL, "configs");
    json_object *arr;

    if (opt_array(d, root, f, &arr) != 0)
        return -1;
    size_t n = arr ? json_object_array_length(arr) : 0;
    if (n > MODEL_CONFIGS)
        return jr_fail_field(d, f, "holds %zu configurations, at most %d", n,
                             MODEL_CONFIGS);
    for (size_t k = 0; k < n; k++) {
        if (parse_config(d, json_object_array_get_idx(arr, k), ITEM(f, k),
                         &v->configs[k]) != 0)
            return -1;
        v->n_configs++;
    }
    return 0;
}

static int parse_proposer(struct jr *d, json_object *root,
                          struct status_reply *r)
{
    struct node_view *v = &r->view;

    if (opt_string(d, root, FIELD(NULL, "state"), v->state, sizeof v->state,
                   false) != 0 ||
        opt_bool(d, root, FIELD(NULL, "is_leader"), &v->is_leader) != 0 ||
        opt_u32(d, root, FIELD(NULL, "leader"), &v->leader_id) != 0 ||
        opt_string(d, root, FIELD(NULL, "leader_name"), v->leader_name,
                   sizeof v->leader_name, false) != 0 ||
        opt_ballot(d, root, FIELD(NULL, "ballot"), &v->ballot) != 0 ||
        opt_ballot(d, root, FIELD(NULL, "highest_ballot"), &v->promised) != 0 ||
        opt_uint(d, root, FIELD(NULL, "commit"), &v->commit) != 0 ||
        opt_uint(d, root, FIELD(NULL, "next_slot"), &v->next_slot) != 0 ||
        opt_uint(d, root, FIELD(NULL, "chosen"), &v->chosen) != 0 ||
        opt_uint(d, root, FIELD(NULL, "elections"), &v->elections) != 0)
        return -1;
    return parse_values(d, root, "recent", v->recent, NULL, MODEL_RECENT,
                        &v->n_recent);
}

static int parse_acceptor(struct jr *d, json_object *root,
                          struct status_reply *r)
{
    struct node_view *v = &r->view;
    size_t n_accepted;

    if (opt_string(d, root, FIELD(NULL, "member"), v->member,
                   sizeof v->member, false) != 0 ||
        opt_string(d, root, FIELD(NULL, "cluster"), v->cluster,
                   sizeof v->cluster, false) != 0 ||
        opt_string(d, root, FIELD(NULL, "admission"), v->admission,
                   sizeof v->admission, false) != 0 ||
        opt_ballot(d, root, FIELD(NULL, "promised"), &v->promised) != 0 ||
        opt_uint(d, root, FIELD(NULL, "commit"), &v->commit) != 0 ||
        opt_uint(d, root, FIELD(NULL, "max_slot"), &v->max_slot) != 0 ||
        parse_values(d, root, "accepted", &v->accepted, NULL, 1,
                     &n_accepted) != 0)
        return -1;
    v->has_accepted = n_accepted > 0;
    return 0;
}

static int parse_learner(struct jr *d, json_object *root,
                         struct status_reply *r)
{
    struct node_view *v = &r->view;

    if (opt_uint(d, root, FIELD(NULL, "applied"), &v->applied) != 0 ||
        opt_uint(d, root, FIELD(NULL, "values_count"), &v->values_count) != 0)
        return -1;
    return parse_values(d, root, "recent", v->recent, NULL, MODEL_RECENT,
                        &v->n_recent);
}

static int parse_client(struct jr *d, json_object *root,
                        struct status_reply *r)
{
    struct node_view *v = &r->view;

    if (opt_u32(d, root, FIELD(NULL, "leader"), &v->leader_id) != 0 ||
        opt_string(d, root, FIELD(NULL, "leader_name"), v->leader_name,
                   sizeof v->leader_name, false) != 0 ||
        opt_uint(d, root, FIELD(NULL, "writes_ok"), &v->writes_ok) != 0 ||
        opt_uint(d, root, FIELD(NULL, "writes_failed"), &v->writes_failed) != 0)
        return -1;
    return parse_values(d, root, "recent", v->recent, r->outcomes,
                        MODEL_RECENT, &v->n_recent);
}

/* The roles, in the order the dashboard lists them. */
static const struct role_parser {
    const char *role;
    int (*parse)(struct jr *d, json_object *root, struct status_reply *r);
} ROLE_PARSERS[] = {
    { "proposer", parse_proposer },
    { "acceptor", parse_acceptor },
    { "learner", parse_learner },
    { "client", parse_client },
};
#define N_ROLES (sizeof ROLE_PARSERS / sizeof ROLE_PARSERS[0])

/* The role's index in ROLE_PARSERS, or N_ROLES for an unknown one. */
static size_t role_rank(const char *role)
{
    size_t k = 0;

    while (k < N_ROLES && strcmp(ROLE_PARSERS[k].role, role) != 0)
        k++;
    return k;
}

const char *model_node_role(const struct node_view *n)
{
    if (n->role[0])
        return n->role;
    for (size_t k = 0; k < N_ROLES; k++) {
        const char *role = ROLE_PARSERS[k].role;
        if (strncmp(n->ep.name, role, strlen(role)) == 0)
            return role;
    }
    return "";
}

static bool is_role(const struct node_view *n, const char *role)
{
    return strcmp(model_node_role(n), role) == 0;
}

static int parse_status(const char *body, size_t len, struct status_reply *r,
                        char *err, size_t errlen)
{
    struct jr d = { err, errlen };
    json_object *root = NULL;
    struct node_view *v = &r->view;
    size_t rank;
    int rc = -1;

    if (jr_parse(&d, body, len, JSON_MAX_DEPTH, &root) != 0)
        goto cleanup;
    if (!jr_member(root, FIELD(NULL, "role"))) {
        jr_fail_field(&d, FIELD(NULL, "role"), "is missing");
        goto cleanup;
    }
    if (opt_string(&d, root, FIELD(NULL, "role"), v->role, sizeof v->role,
                   false) != 0)
        goto cleanup;
    if ((rank = role_rank(v->role)) == N_ROLES) {
        jr_fail(&d, "unknown role '%s'", v->role);
        goto cleanup;
    }
    if (opt_u32(&d, root, FIELD(NULL, "id"), &v->id) != 0 ||
        parse_members(&d, root, v) != 0 ||
        parse_member_counts(&d, root, v) != 0 ||
        parse_configs(&d, root, v) != 0 ||
        ROLE_PARSERS[rank].parse(&d, root, r) != 0)
        goto cleanup;
    rc = 0;
cleanup:
    json_object_put(root);
    return rc;
}

/* The detail of a failed answer: its JSON "error", else its text. */
static void error_detail(const char *body, size_t len, char *out, size_t size)
{
    char err[8];
    struct jr d = { err, sizeof err };
    json_object *root = NULL;

    out[0] = '\0';
    if (jr_parse(&d, body, len, JSON_MAX_DEPTH, &root) != 0 ||
        opt_string(&d, root, FIELD(NULL, "error"), out, size, true) != 0)
        copy_cut(out, size, body, strcspn(body, "\r\n"));
    json_object_put(root);
}

/* Why an answer is not a success: the transport's error (status 0) or
 * "HTTP 503: no leader elected yet". */
static void failure_reason(int http_status, const char *body, size_t len,
                           char *out, size_t size)
{
    char detail[MODEL_TEXT_MAX];

    if (http_status <= 0) {
        copy_text(out, size, len ? body : "no answer");
        return;
    }
    error_detail(body, len, detail, sizeof detail);
    snprintf(out, size, "HTTP %d%s%s", http_status, detail[0] ? ": " : "",
             detail);
}

/* ---- events from two polls ---- */

static void mark_down(struct model *m, struct node_view *n, int64_t now_ms,
                      const char *reason)
{
    bool first_poll = !n->ever_up && !n->error[0];

    if (n->up || first_poll)
        model_event(m, now_ms, "%s down: %s", n->ep.name, reason);
    n->up = false;
    copy_text(n->error, sizeof n->error, reason);
}

static void note_ballot_rise(struct model *m, const struct node_view *old,
                             const struct node_view *fresh, int64_t now_ms)
{
    if (strcmp(fresh->role, "proposer") != 0 ||
        ballot_cmp(fresh->ballot, old->ballot) <= 0)
        return;
    model_event(m, now_ms, "%s ballot %" PRIu32 ".%" PRIu32 " -> %" PRIu32
                ".%" PRIu32, old->ep.name, old->ballot.round, old->ballot.node,
                fresh->ballot.round, fresh->ballot.node);
}

static void note_response(struct model *m, const char *client,
                          const struct value_view *v, const struct outcome *o,
                          int64_t now_ms)
{
    char quoted[QUOTE_MAX];

    copy_text(quoted, sizeof quoted, v->text);
    if (o->chosen)
        model_event(m, now_ms, "%s: write '%s' -> slot %" PRIu64 " (%" PRIu64
                    " ms)", client, quoted, v->slot, o->latency_ms);
    else
        model_event(m, now_ms, "%s: write '%s' failed: %s (%" PRIu64 " ms)",
                    client, quoted, o->error[0] ? o->error : "no reason given",
                    o->latency_ms);
}

/* The client's writes that ended since the last poll (its counters say
 * how many; the newest of recent are they): their latencies go to the
 * commit latency, and each becomes an event (or one summary when many). */
static void note_client_responses(struct model *m, const struct node_view *old,
                                  const struct status_reply *r, int64_t now_ms)
{
    const struct node_view *v = &r->view;

    if (strcmp(v->role, "client") != 0 || v->writes_ok < old->writes_ok ||
        v->writes_failed < old->writes_failed)
        return;     /* restarted: its counters begin again */
    uint64_t ok = v->writes_ok - old->writes_ok;
    uint64_t failed = v->writes_failed - old->writes_failed;
    size_t seen = ok + failed < v->n_recent ? (size_t)(ok + failed) : v->n_recent;
    for (size_t k = v->n_recent - seen; k < v->n_recent; k++) {
        if (r->outcomes[k].chosen) {
            m->latency_sum += (double)r->outcomes[k].latency_ms;
            m->latency_count++;
        }
        if (ok + failed <= DETAILED_RESPONSES)
            note_response(m, old->ep.name, &v->recent[k], &r->outcomes[k],
                          now_ms);
    }
    if (ok + failed > DETAILED_RESPONSES)
        model_event(m, now_ms, "%s: %" PRIu64 " writes acknowledged, %" PRIu64
                    " failed", old->ep.name, ok, failed);
}

/* An acceptor that does not vote, or whose member identity changed (its
 * data directory is new): something for the operator to see. */
static void note_admission(struct model *m, const struct node_view *old,
                           const struct node_view *fresh, int64_t now_ms)
{
    if (strcmp(fresh->role, "acceptor") != 0)
        return;
    if (old->member[0] && strcmp(old->member, fresh->member) != 0)
        model_event(m, now_ms, "%s has a new member identity %s: its data "
                    "directory is new", old->ep.name, fresh->member);
    if (strcmp(old->admission, fresh->admission) == 0 ||
        (!old->admission[0] && strcmp(fresh->admission, "active") == 0))
        return;
    model_event(m, now_ms, "%s admission: %s%s%s", old->ep.name,
                old->admission, old->admission[0] ? " -> " : "",
                fresh->admission);
}

static void note_changes(struct model *m, const struct node_view *old,
                         const struct status_reply *r, int64_t now_ms)
{
    if (!old->up && old->error[0])
        model_event(m, now_ms, "%s up%s", old->ep.name,
                    old->ever_up ? " again" : "");
    note_admission(m, old, &r->view, now_ms);
    if (!old->ever_up)
        return;     /* the first answer is what later ones compare with */
    note_ballot_rise(m, old, &r->view, now_ms);
    note_client_responses(m, old, r, now_ms);
}

/* The fresh view replaces n's; the polling fields stay n's. */
static void adopt(struct node_view *n, struct node_view *fresh, int64_t now_ms)
{
    fresh->ep = n->ep;
    fresh->raw = n->raw;
    fresh->latency_ms = n->latency_ms;
    fresh->up = fresh->ever_up = true;
    fresh->last_ok_ms = now_ms;
    free(n->members);
    *n = *fresh;
    fresh->members = NULL;
}

static void keep_raw(struct node_view *n, const char *body, size_t len)
{
    free(n->raw);
    n->raw = strndup(body, len);
}

void model_status(struct model *m, size_t i, int http_status,
                  const char *body, size_t len, int64_t latency_ms,
                  int64_t now_ms)
{
    char err[MODEL_TEXT_MAX - 16], reason[MODEL_TEXT_MAX];
    struct status_reply reply;

    if (i >= m->n_nodes)
        return;
    struct node_view *n = &m->nodes[i];
    n->latency_ms = latency_ms;
    if (!body)
        body = "";
    if (http_status != 200) {
        failure_reason(http_status, body, len, reason, sizeof reason);
        mark_down(m, n, now_ms, reason);
        return;
    }
    keep_raw(n, body, len);
    memset(&reply, 0, sizeof reply);
    if (parse_status(body, len, &reply, err, sizeof err) != 0) {
        snprintf(reason, sizeof reason, "bad /status: %s", err);
        mark_down(m, n, now_ms, reason);
    } else {
        note_changes(m, n, &reply, now_ms);
        adopt(n, &reply.view, now_ms);
    }
    free(reply.view.members);
}

/* ---- the learned log ---- */

/* Bit of the node's learner index (its rank among the learners), or 0. */
static uint32_t learner_bit(const struct model *m, size_t i)
{
    size_t rank = 0;

    for (size_t k = 0; k < i; k++)
        rank += is_role(&m->nodes[k], "learner");
    return rank < 32 ? UINT32_C(1) << rank : 0;
}

/* The entry of slot, inserted in order when new; NULL when out of memory. */
static struct log_entry *log_slot(struct model *m, uint64_t slot)
{
    size_t lo = 0, hi = m->log_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->log[mid].slot < slot)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < m->log_len && m->log[lo].slot == slot)
        return &m->log[lo];
    if (array_reserve(&m->log, &m->log_cap, m->log_len + 1) < 0)
        return NULL;
    memmove(&m->log[lo + 1], &m->log[lo], (m->log_len - lo) * sizeof *m->log);
    m->log_len++;
    memset(&m->log[lo], 0, sizeof m->log[lo]);
    m->log[lo].slot = slot;
    return &m->log[lo];
}

/* Keeps the newest LOG_KEEP slots once the log is LOG_SLACK over. */
static void trim_log(struct model *m)
{
    if (m->log_len <= LOG_KEEP + LOG_SLACK)
        return;
    size_t drop = m->log_len - LOG_KEEP;
    memmove(m->log, m->log + drop, LOG_KEEP * sizeof *m->log);
    m->log_len = LOG_KEEP;
}

static void merge_value(struct model *m, const struct node_view *learner,
                        uint32_t bit, const struct value_view *v)
{
    if (v->slot == 0 || (m->log_len >= LOG_KEEP && v->slot < m->log[0].slot))
        return;     /* not a slot, or older than what is kept */
    struct log_entry *e = log_slot(m, v->slot);
    if (!e)
        return;
    if (e->learners == 0) {
        e->ballot = v->ballot;
        e->noop = v->noop;
        copy_text(e->text, sizeof e->text, v->text);
    } else if (e->noop != v->noop || strcmp(e->text, v->text) != 0) {
        char mine[QUOTE_MAX], theirs[QUOTE_MAX];
        copy_text(mine, sizeof mine, v->noop ? "(no-op)" : v->text);
        copy_text(theirs, sizeof theirs, e->noop ? "(no-op)" : e->text);
        model_event(m, learner->last_ok_ms, "slot %" PRIu64 " differs: %s has "
                    "'%s', another learner '%s'", v->slot, learner->ep.name,
                    mine, theirs);
    }
    e->learners |= bit;
}

/* Merges a /get-values answer's values into the log; -1 at the first bad one. */
static int merge_values(struct model *m, size_t i, struct jr *d,
                        json_object *root)
{
    const struct jr_path *f = FIELD(NULL, "values");
    uint32_t bit = learner_bit(m, i);
    json_object *arr;
    struct value_view v;

    if (opt_array(d, root, f, &arr) != 0)
        return -1;
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t k = 0; k < n; k++) {
        if (parse_value(d, json_object_array_get_idx(arr, k), ITEM(f, k),
                        &v) != 0)
            return -1;
        merge_value(m, &m->nodes[i], bit, &v);
    }
    return 0;
}

void model_values(struct model *m, size_t i, const char *body, size_t len)
{
    char err[MODEL_TEXT_MAX];
    struct jr d = { err, sizeof err };
    json_object *root = NULL;

    if (i >= m->n_nodes)
        return;
    if (jr_parse(&d, body ? body : "", len, JSON_MAX_DEPTH, &root) != 0 ||
        merge_values(m, i, &d, root) != 0)
        model_event(m, m->nodes[i].last_ok_ms, "%s: bad /get-values: %s",
                    m->nodes[i].ep.name, err);
    trim_log(m);
    json_object_put(root);
}

uint64_t model_values_from(const struct model *m, size_t i)
{
    uint32_t bit = learner_bit(m, i);
    uint64_t from = 1;

    if (i >= m->n_nodes)
        return from;
    for (size_t k = m->log_len; k-- > 0;) {
        if (m->log[k].learners & bit) {
            from = m->log[k].slot + 1;
            break;
        }
    }
    uint64_t applied = m->nodes[i].applied;
    if (applied >= MODEL_VALUES_PAGE && applied - MODEL_VALUES_PAGE + 1 > from)
        from = applied - MODEL_VALUES_PAGE + 1;
    return from;
}

/* ---- writes made by paxos-top ---- */

static const struct node_view *find_node(const struct model *m,
                                         const char *name)
{
    for (size_t i = 0; i < m->n_nodes; i++)
        if (strcmp(m->nodes[i].ep.name, name) == 0)
            return &m->nodes[i];
    return NULL;
}

static uint64_t reply_slot(const char *body)
{
    char err[8];
    struct jr d = { err, sizeof err };
    json_object *root = NULL;
    uint64_t slot = 0;

    if (jr_parse(&d, body, strlen(body), JSON_MAX_DEPTH, &root) == 0)
        opt_uint(&d, root, FIELD(NULL, "slot"), &slot);
    json_object_put(root);
    return slot;
}

void model_write_result(struct model *m, const char *target, const char *value,
                        int http_status, const char *body, int64_t latency_ms,
                        int64_t now_ms)
{
    const struct node_view *n = find_node(m, target);
    /* A write through a client shows again in the client's responses:
     * only direct writes add to the commit latency here. */
    bool direct = n && is_role(n, "proposer");
    const char *verb = direct ? "direct-write" : "write";
    char quoted[QUOTE_MAX], reason[MODEL_TEXT_MAX];

    if (!body)
        body = "";
    copy_text(quoted, sizeof quoted, value);
    if (http_status != 200) {
        failure_reason(http_status, body, strlen(body), reason, sizeof reason);
        model_event(m, now_ms, "%s '%s' -> failed on %s: %s (%" PRId64 " ms)",
                    verb, quoted, target, reason, latency_ms);
        return;
    }
    model_event(m, now_ms, "%s '%s' -> slot %" PRIu64 " (%s, %" PRId64 " ms)",
                verb, quoted, reply_slot(body), target, latency_ms);
    if (direct) {
        m->latency_sum += (double)latency_ms;
        m->latency_count++;
    }
}

/* ---- the acceptor set ---- */

void model_config_names(const struct config_view *c, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t k = 0; k < c->n_voters && used < size; k++) {
        int n = snprintf(out + used, size - used, "%s%s", k ? ", " : "",
                         c->voters[k].name);
        used += n > 0 ? (size_t)n : 0;
    }
}

const char *model_quorum_of(const struct model *m)
{
    return m->config.epoch ? "voters" : "acceptors";
}

/* The voter of c that is node id (or, for a node that never said its id,
 * named name); NULL when c does not name it. */
static const struct voter_view *find_voter(const struct config_view *c,
                                           uint32_t id, const char *name)
{
    for (size_t k = 0; k < c->n_voters; k++)
        if (id ? c->voters[k].id == id
               : strcmp(c->voters[k].name, name) == 0)
            return &c->voters[k];
    return NULL;
}

/* The acceptor watched as node id or named name: its index, or -1. */
static int find_acceptor(const struct model *m, uint32_t id, const char *name)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        if (is_role(n, "acceptor") &&
            (n->id ? n->id == id : strcmp(n->ep.name, name) == 0))
            return (int)i;
    }
    return -1;
}

enum model_standing model_standing(const struct model *m, size_t i)
{
    const struct node_view *n = i < m->n_nodes ? &m->nodes[i] : NULL;
    const char *admission = n ? n->admission : "";
    const struct voter_view *v;

    if (!n || !n->ever_up || !is_role(n, "acceptor"))
        return STANDING_UNKNOWN;
    if ((v = find_voter(&m->config, n->id, n->ep.name))) {
        if (n->member[0] && v->member[0] && strcmp(n->member, v->member) != 0)
            return STANDING_RENEWED;
        return !admission[0] || strcmp(admission, "active") == 0
                   ? STANDING_VOTER : STANDING_JOINING;
    }
    for (size_t k = 0; k < m->n_coming; k++)
        if (find_voter(&m->coming[k], n->id, n->ep.name))
            return STANDING_COMING;
    if (strcmp(admission, "waiting") == 0)
        return STANDING_WAITING;
    if (strcmp(admission, "new") == 0)
        return STANDING_NEW;
    if (strcmp(admission, "joining") == 0)
        return STANDING_JOINING;
    if (m->config.epoch)
        return STANDING_NOT_VOTER;
    return admission[0] ? STANDING_VOTER : STANDING_UNKNOWN;
}

static const struct {
    const char *text, *word;
} STANDINGS[] = {
    [STANDING_UNKNOWN] = { "unknown", "" },
    [STANDING_VOTER] = { "voter", "" },
    [STANDING_JOINING] = { "voter, joining: admitted, not voting yet",
                           "joining" },
    [STANDING_RENEWED] = { "waiting: a voter under another member identity "
                           "(its data directory is new)", "waiting" },
    [STANDING_COMING] = { "named by a configuration to come", "coming" },
    [STANDING_WAITING] = { "waiting to be admitted", "waiting" },
    [STANDING_NEW] = { "new: asking the other acceptors", "new" },
    [STANDING_NOT_VOTER] = { "not a voter", "nonvoter" },
};

const char *model_standing_text(enum model_standing s)
{
    return STANDINGS[s].text;
}

const char *model_standing_word(enum model_standing s)
{
    return STANDINGS[s].word;
}

/* Adds the row of a voter v (or, v NULL, of watched node i) unless the
 * acceptor is listed already. */
static void add_acceptor(const struct model *m, struct model_acceptor *out,
                         size_t max, size_t *n, const struct voter_view *v,
                         int i, bool voter)
{
    const struct node_view *node = i >= 0 ? &m->nodes[i] : NULL;
    uint32_t id = v ? v->id : node->id;
    const char *name = v ? v->name : node->ep.name;
    struct model_acceptor *a;

    for (size_t k = 0; k < *n; k++)   /* the same id, or the same name */
        if ((id && out[k].id == id) || strcmp(out[k].name, name) == 0)
            return;
    if (*n >= max)
        return;
    a = &out[*n];
    memset(a, 0, sizeof *a);
    a->id = id;
    copy_text(a->name, sizeof a->name, name);
    copy_text(a->member, sizeof a->member,
              node && node->member[0] ? node->member : v ? v->member : "");
    if (node)
        snprintf(a->address, sizeof a->address, "%s:%u", node->ep.host,
                 node->ep.port);
    else
        copy_text(a->address, sizeof a->address, v->address);
    a->node = i;
    a->voter = voter;
    a->standing = node && node->ever_up ? model_standing(m, (size_t)i)
                  : voter ? STANDING_VOTER : v ? STANDING_COMING
                  : STANDING_UNKNOWN;
    (*n)++;
}

static void add_voters(const struct model *m, const struct config_view *c,
                       bool voter, struct model_acceptor *out, size_t max,
                       size_t *n)
{
    for (size_t k = 0; k < c->n_voters; k++)
        add_acceptor(m, out, max, n, &c->voters[k],
                     find_acceptor(m, c->voters[k].id, c->voters[k].name),
                     voter);
}

size_t model_acceptors(const struct model *m, struct model_acceptor *out,
                       size_t max)
{
    size_t n = 0;

    add_voters(m, &m->config, true, out, max, &n);
    for (size_t k = 0; k < m->n_coming; k++)
        add_voters(m, &m->coming[k], false, out, max, &n);
    for (size_t i = 0; i < m->n_nodes; i++)
        if (is_role(&m->nodes[i], "acceptor"))
            add_acceptor(m, out, max, &n, NULL, (int)i, false);
    return n;
}

bool model_acceptor_votes(const struct model *m,
                          const struct model_acceptor *a)
{
    return a->voter && a->node >= 0 && m->nodes[a->node].up &&
           a->standing == STANDING_VOTER;
}

/* ---- changes of the acceptor set ---- */

static bool valid_acceptor_name(const char *s, size_t len)
{
    if (len == 0 || len >= MODEL_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return false;
    return true;
}

int model_change_parse(enum model_change_kind kind, const char *text,
                       struct model_change *out, char *err, size_t errlen)
{
    char *names[2] = { out->name, out->with };
    size_t want = kind == CHANGE_REPLACE ? 2 : 1, count = 0;

    memset(out, 0, sizeof *out);
    out->kind = kind;
    for (const char *p = text; *p;) {
        size_t len;
        if (*p == ' ') {
            p++;
            continue;
        }
        len = strcspn(p, " ");
        if (!valid_acceptor_name(p, len)) {
            snprintf(err, errlen, "'%.*s' is not an acceptor name or id "
                     "(such as acceptor4 or 11)", len > 40 ? 40 : (int)len, p);
            return -1;
        }
        if (count < want)
            snprintf(names[count], MODEL_NAME_MAX, "%.*s", (int)len, p);
        count++;
        p += len;
    }
    if (count != want) {
        snprintf(err, errlen, "%s", kind == CHANGE_REPLACE
                 ? "type two names: the voter to replace, then the acceptor "
                   "that takes its place (acceptor1 acceptor4)"
                 : "type one acceptor name or id (acceptor4 or 11)");
        return -1;
    }
    if (kind == CHANGE_REPLACE && strcmp(out->name, out->with) == 0) {
        snprintf(err, errlen, "%s cannot take its own place", out->name);
        return -1;
    }
    return 0;
}

static const char *const CHANGE_VERBS[] = {
    [CHANGE_ADD] = "add", [CHANGE_REMOVE] = "remove",
    [CHANGE_REPLACE] = "replace",
};

char *model_change_body(const struct model_change *c)
{
    json_object *doc = json_object_new_object();
    char *body = NULL;

    if (doc &&
        json_object_object_add(doc, CHANGE_VERBS[c->kind],
                               json_object_new_string(c->name)) == 0 &&
        (c->kind != CHANGE_REPLACE ||
         json_object_object_add(doc, "with",
                                json_object_new_string(c->with)) == 0))
        body = strdup(json_object_to_json_string_ext(doc,
                                                     JSON_C_TO_STRING_PLAIN));
    json_object_put(doc);
    return body;
}

void model_change_text(const struct model_change *c, char *out, size_t size)
{
    snprintf(out, size, "%s %s%s%s", CHANGE_VERBS[c->kind], c->name,
             c->kind == CHANGE_REPLACE ? " with " : "",
             c->kind == CHANGE_REPLACE ? c->with : "");
}

/* The configuration a 200 answer puts in force; -1 when it is not one. */
static int changed_config(const char *body, struct config_view *c)
{
    char err[8];
    struct jr d = { err, sizeof err };
    json_object *root = NULL;
    int rc;

    memset(c, 0, sizeof *c);
    rc = jr_parse(&d, body, strlen(body), JSON_MAX_DEPTH, &root);
    if (rc == 0)
        rc = parse_config(&d, root, NULL, c);
    json_object_put(root);
    return rc == 0 && c->epoch ? 0 : -1;
}

bool model_change_result(struct model *m, const struct model_change *c,
                         const char *target, int http_status,
                         const char *body, int64_t latency_ms, int64_t now_ms,
                         char *out, size_t size)
{
    char what[3 * MODEL_NAME_MAX], reason[MODEL_TEXT_MAX], names[512];
    struct config_view now;
    bool ok = false;

    if (!body)
        body = "";
    model_change_text(c, what, sizeof what);
    if (http_status == 200 && changed_config(body, &now) == 0) {
        model_config_names(&now, names, sizeof names);
        snprintf(out, size, "%s: epoch %" PRIu64 " in force from slot %"
                 PRIu64 ", voters %s (%s, %" PRId64 " ms)", what, now.epoch,
                 now.first_slot, names, target, latency_ms);
        ok = true;
    } else if (http_status == 200) {
        copy_text(reason, sizeof reason, body);
        snprintf(out, size, "%s: %s answered 200 without the configuration "
                 "in force: %s", what, target, reason);
    } else if (http_status == 504) {
        snprintf(out, size, "%s: unknown: leadership was lost during the "
                 "change, which may still come into force (%s, %" PRId64
                 " ms)", what, target, latency_ms);
    } else {
        failure_reason(http_status, body, strlen(body), reason,
                       sizeof reason);
        snprintf(out, size, "%s failed on %s: %s (%" PRId64 " ms)", what,
                 target, reason, latency_ms);
    }
    model_event(m, now_ms, "%s", out);
    return ok;
}

/* ---- once per round ---- */

static void tick_leader(struct model *m, int64_t now_ms, bool first)
{
    const struct node_view *best = NULL;
    char ballot[40] = "";

    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        if (n->up && n->is_leader && is_role(n, "proposer") &&
            (!best || ballot_cmp(n->ballot, best->ballot) > 0))
            best = n;
    }
    const char *name = best ? best->ep.name : "";
    if (best)
        snprintf(ballot, sizeof ballot, " (ballot %" PRIu32 ".%" PRIu32 ")",
                 best->ballot.round, best->ballot.node);
    if (first)
        model_event(m, now_ms, "leader: %s%s", best ? name : "none", ballot);
    else if (strcmp(name, m->leader) != 0)
        model_event(m, now_ms, "leader: %s -> %s%s",
                    m->leader[0] ? m->leader : "none", best ? name : "none",
                    ballot);
    copy_text(m->leader, sizeof m->leader, name);
    m->leader_ballot = best ? best->ballot : (struct ballot){ 0, 0 };
    m->had_leader |= best != NULL;
}

/* The index, in n's chain, of the configuration in force at the slot
 * after the ones n knows decided (n has a chain). */
static size_t config_in_force(const struct node_view *n)
{
    uint64_t next = (n->commit > n->applied ? n->commit : n->applied) + 1;
    size_t k = 0;

    while (k + 1 < n->n_configs && n->configs[k + 1].first_slot <= next)
        k++;
    return k;
}

static bool is_leader_node(const struct model *m, const struct node_view *n)
{
    return m->leader[0] && strcmp(n->ep.name, m->leader) == 0;
}

/* The configurations as the leader knows them, else as the node that
 * knows the newest one in force; the last ones known when none answers. */
static void tick_config(struct model *m, int64_t now_ms)
{
    const struct node_view *from = NULL;
    size_t at = 0;
    uint64_t was = m->config.epoch;
    char names[512];

    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        if (!n->up || !n->n_configs)
            continue;
        size_t k = config_in_force(n);
        if (!from || (is_leader_node(m, n) != is_leader_node(m, from)
                      ? is_leader_node(m, n)
                      : n->configs[k].epoch > from->configs[at].epoch)) {
            from = n;
            at = k;
        }
    }
    if (!from)
        return;
    m->config = from->configs[at];
    m->n_coming = from->n_configs - at - 1;
    memcpy(m->coming, &from->configs[at + 1],
           m->n_coming * sizeof m->coming[0]);
    copy_text(m->config_from, sizeof m->config_from, from->ep.name);
    if (m->config.epoch == was)
        return;
    model_config_names(&m->config, names, sizeof names);
    if (was)
        model_event(m, now_ms, "configuration epoch %" PRIu64 " -> %" PRIu64
                    " from slot %" PRIu64 ": %s", was, m->config.epoch,
                    m->config.first_slot, names);
    else
        model_event(m, now_ms, "configuration epoch %" PRIu64 " from slot %"
                    PRIu64 ": %s", m->config.epoch, m->config.first_slot,
                    names);
}

/* Quorum health: of the voters in force that vote, when a configuration
 * is known; else of every acceptor that answers. */
static void tick_quorum(struct model *m, int64_t now_ms, bool first)
{
    bool had = m->acceptors_up >= m->quorum;
    size_t up = 0, total = 0;

    if (m->config.epoch) {
        for (size_t k = 0; k < m->config.n_voters; k++) {
            const struct voter_view *v = &m->config.voters[k];
            int i = find_acceptor(m, v->id, v->name);
            up += i >= 0 && m->nodes[i].up &&
                  model_standing(m, (size_t)i) == STANDING_VOTER;
        }
        total = m->config.n_voters;
    } else {
        for (size_t i = 0; i < m->n_nodes; i++) {
            if (is_role(&m->nodes[i], "acceptor")) {
                total++;
                up += m->nodes[i].up;
            }
        }
    }
    m->acceptors_up = up;
    m->acceptors_total = total;
    m->quorum = total / 2 + 1;
    bool has = up >= m->quorum;
    if (first ? !has : has != had)
        model_event(m, now_ms, "%s: %s %zu/%zu up (need %zu)",
                    has ? "quorum back" : "no quorum", model_quorum_of(m), up,
                    total, m->quorum);
    m->had_quorum |= has;
}

static void tick_rates(struct model *m, int64_t now_ms, bool first)
{
    uint64_t applied = 0;
    double per_s = 0;

    for (size_t i = 0; i < m->n_nodes; i++)
        if (is_role(&m->nodes[i], "learner") && m->nodes[i].applied > applied)
            applied = m->nodes[i].applied;
    if (!first && now_ms > m->prev_tick_ms && applied >= m->prev_applied)
        per_s = (double)(applied - m->prev_applied) * 1000.0 /
                (double)(now_ms - m->prev_tick_ms);
    m->log_length = applied;
    m->writes_per_s[m->history_next] = per_s;
    m->latency_ms[m->history_next] =
        m->latency_count ? m->latency_sum / (double)m->latency_count : 0;
    m->history_next = (m->history_next + 1) % MODEL_HISTORY;
    if (m->history_len < MODEL_HISTORY)
        m->history_len++;
    m->prev_applied = applied;
    m->prev_tick_ms = now_ms;
    m->latency_sum = 0;
    m->latency_count = 0;
}

void model_tick(struct model *m, int64_t now_ms)
{
    bool first = m->history_len == 0;

    tick_leader(m, now_ms, first);
    tick_config(m, now_ms);
    tick_quorum(m, now_ms, first);
    tick_rates(m, now_ms, first);
}

/* ---- events ---- */

void model_event(struct model *m, int64_t now_ms, const char *fmt, ...)
{
    struct model_event *e = &m->events[m->events_next];
    va_list ap;

    e->at_ms = now_ms;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    m->events_next = (m->events_next + 1) % MODEL_EVENTS;
    if (m->n_events < MODEL_EVENTS)
        m->n_events++;
}

const struct model_event *model_event_at(const struct model *m, size_t k)
{
    if (k >= m->n_events)
        return NULL;
    return &m->events[(m->events_next + MODEL_EVENTS - m->n_events + k) %
                      MODEL_EVENTS];
}

/* ---- rows ---- */

static int compare_u64(uint64_t a, uint64_t b)
{
    return (a > b) - (a < b);
}

static int compare_accepted(const struct node_view *a,
                            const struct node_view *b)
{
    if (a->has_accepted != b->has_accepted)
        return a->has_accepted ? 1 : -1;
    int c = compare_u64(a->accepted.slot, b->accepted.slot);
    return c ? c : ballot_cmp(a->accepted.ballot, b->accepted.ballot);
}

static int compare_column(const struct node_view *a, const struct node_view *b,
                          enum model_column col)
{
    int c;

    switch (col) {
    case COL_NAME:
        return natural_cmp(a->ep.name, b->ep.name);
    case COL_ROLE:
        return compare_u64(role_rank(model_node_role(a)),
                           role_rank(model_node_role(b)));
    case COL_ADDRESS:
        c = natural_cmp(a->ep.host, b->ep.host);
        return c ? c : compare_u64(a->ep.port, b->ep.port);
    case COL_UP:
        return compare_u64(a->up, b->up);
    case COL_BALLOT:
        return ballot_cmp(a->ballot, b->ballot);
    case COL_PROMISED:
        return ballot_cmp(a->promised, b->promised);
    case COL_ACCEPTED:
        return compare_accepted(a, b);
    case COL_CHOSEN:
        return compare_u64(a->commit, b->commit);
    case COL_APPLIED:
        return compare_u64(a->applied, b->applied);
    case COL_MEMBERS:
        return compare_u64(a->alive, b->alive);
    case COL_LATENCY:
        return (a->latency_ms > b->latency_ms) - (a->latency_ms < b->latency_ms);
    case COL_COUNT:
        break;
    }
    return 0;
}

struct row_order {
    const struct model *m;
    enum model_column col;
    bool descending;
};

/* By the column, then by node order (also when descending). */
static int compare_rows(const void *pa, const void *pb, void *ud)
{
    const struct row_order *o = ud;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = compare_column(&o->m->nodes[a], &o->m->nodes[b], o->col);

    if (o->descending)
        c = -c;
    return c ? c : compare_u64(a, b);
}

/* Node i's name, role, address, state, up or down, or why it does not
 * vote ("waiting") contain filter. */
static bool row_matches(const struct model *m, size_t i, const char *filter)
{
    const struct node_view *n = &m->nodes[i];
    char address[MODEL_ADDR_MAX];

    if (!filter || !filter[0])
        return true;
    snprintf(address, sizeof address, "%s:%u", n->ep.host, n->ep.port);
    return strcasestr(n->ep.name, filter) ||
           strcasestr(model_node_role(n), filter) ||
           strcasestr(address, filter) || strcasestr(n->state, filter) ||
           strcasestr(n->up ? "up" : "down", filter) ||
           strcasestr(model_standing_word(model_standing(m, i)), filter);
}

size_t model_rows(const struct model *m, enum model_column sort,
                  bool descending, const char *filter, size_t *order)
{
    struct row_order o = { m, sort, descending };
    size_t n = 0;

    for (size_t i = 0; i < m->n_nodes; i++)
        if (row_matches(m, i, filter))
            order[n++] = i;
    qsort_r(order, n, sizeof *order, compare_rows, &o);
    return n;
}

const char *model_member_state(const struct node_view *observer, uint32_t id)
{
    for (size_t k = 0; k < observer->n_members; k++)
        if (observer->members[k].id == id)
            return observer->members[k].state;
    return "";
}

/* ---- life ---- */

int model_init(struct model *m, const struct endpoint *eps, size_t n)
{
    memset(m, 0, sizeof *m);
    if (n > 0 && !(m->nodes = calloc(n, sizeof *m->nodes)))
        return -1;
    for (size_t i = 0; i < n; i++)
        m->nodes[i].ep = eps[i];
    m->n_nodes = m->nodes_cap = n;
    return 0;
}

int model_add_node(struct model *m, const struct endpoint *ep, int64_t now_ms)
{
    if (m->n_nodes >= MODEL_NODES_MAX ||
        array_reserve(&m->nodes, &m->nodes_cap, m->n_nodes + 1) < 0) {
        model_event(m, now_ms, "cannot watch %s too: %s", ep->name,
                    m->n_nodes >= MODEL_NODES_MAX ? "too many nodes"
                                                  : "out of memory");
        return -1;
    }
    memset(&m->nodes[m->n_nodes], 0, sizeof m->nodes[0]);
    m->nodes[m->n_nodes].ep = *ep;
    model_event(m, now_ms, "watching %s (%s:%u) from now on", ep->name,
                ep->host, ep->port);
    return (int)m->n_nodes++;
}

void model_free(struct model *m)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        free(m->nodes[i].members);
        free(m->nodes[i].raw);
    }
    free(m->nodes);
    free(m->log);
    memset(m, 0, sizeof *m);
}

/* checker.c -- checks a history of the fault suite (workload.c) against
 * the final logs of the learners, for paxosd's append-only log:
 *
 *   learners-disagree  the learners' logs differ (slot, value or identity)
 *   duplicated         a value is in the log more than once
 *   phantom            a value is in the log that no write invoked
 *   lost               an acknowledged write is not in the log
 *   wrong-slot         an acknowledged write is at another slot than its
 *                      acknowledgement said
 *   failed-chosen      a write that surely failed is in the log
 *   reordered          a write is in the log before a write that was
 *                      acknowledged before it began (real-time order)
 *   divergent-read     a read returned what is not a prefix of the log
 *   stale-read         a read missed a write acknowledged before it began,
 *                      or saw less than a read that ended before it began
 *   future-read        a read saw a write invoked after the read ended
 *
 * Usage: checker --history FILE --log FILE [--log FILE]...
 * Each --log is a learner's GET /get-values answer; the first is the
 * reference the history is checked against. Prints one "VIOLATION KIND:
 * ..." line per violation (at most 10 of each kind), then the figures
 * ("lost: 0", ...) and "result: PASS" or "result: FAIL". Exit status 0
 * when nothing is violated, 1 when something is, 2 when the input cannot
 * be read. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "faultlog.h"

#define MAX_LOGS 16
#define MAX_PROCESSES 1000000
#define SHOWN_PER_KIND 10
#define NOWHERE SIZE_MAX
#define NEVER INT64_MAX

enum outcome { OUT_PENDING, OUT_OK, OUT_FAIL, OUT_INFO };

enum kind {
    V_DISAGREE, V_DUPLICATED, V_PHANTOM, V_LOST, V_WRONG_SLOT, V_FAILED_CHOSEN,
    V_REORDERED, V_DIVERGENT_READ, V_STALE_READ, V_FUTURE_READ, V_KINDS
};

/* Violation name, and the figure that counts it. */
static const char *const kind_name[V_KINDS] = {
    "learners-disagree", "duplicated", "phantom", "lost", "wrong-slot",
    "failed-chosen", "reordered", "divergent-read", "stale-read", "future-read",
};
static const char *const kind_figure[V_KINDS] = {
    "learners disagree", "duplicated", "phantom", "lost", "wrong slot",
    "failed but chosen", "reordered", "divergent reads", "stale reads",
    "future reads",
};

struct op {
    int64_t invoke, complete;   /* complete is NEVER unless it ended */
    enum outcome out;
    char *node;
    /* writes */
    char *value;
    uint64_t slot;              /* acknowledged at */
    size_t pos;                 /* index in the reference log, or NOWHERE */
    /* reads */
    uint64_t count, last_slot, digest;
};

struct ops {
    struct op *v;
    size_t n, cap;
};

struct checker {
    struct ops writes, reads;
    size_t *by_value;           /* write indexes sorted by value */
    int64_t first, last;        /* times of the history's first and last lines */
    size_t lines, processes;
    struct flog logs[MAX_LOGS];
    char *log_names[MAX_LOGS];
    size_t n_logs;
    size_t count[V_KINDS];
};

/* ---------------------------------------------------------------- report */

static double secs(const struct checker *c, int64_t t)
{
    return (double)(t - c->first) / 1e9;
}

static void violation(struct checker *c, enum kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void violation(struct checker *c, enum kind k, const char *fmt, ...)
{
    va_list ap;

    if (++c->count[k] > SHOWN_PER_KIND)
        return;
    printf("VIOLATION %s: ", kind_name[k]);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* ------------------------------------------------------------ reading */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;

    *len = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (*len + 65536 > cap) {
            char *grown = realloc(buf, cap = (*len + 65536) * 2);
            if (!grown)
                break;
            buf = grown;
        }
        size_t got = fread(buf + *len, 1, cap - *len - 1, f);
        *len += got;
        if (got == 0) {
            if (ferror(f))
                break;
            fclose(f);
            buf[*len] = '\0';
            return buf;
        }
    }
    free(buf);
    fclose(f);
    return NULL;
}

static int read_log(struct checker *c, const char *path)
{
    char why[300];
    struct jr d = { why, sizeof(why) };
    size_t len;
    char *text = read_file(path, &len);
    json_object *root = NULL, *name;
    int rc = -1;

    if (!text) {
        fprintf(stderr, "checker: %s: %s\n", path, strerror(errno ? errno : EIO));
        return -1;
    }
    if (c->n_logs == MAX_LOGS)
        fprintf(stderr, "checker: at most %d logs\n", MAX_LOGS);
    else if (jr_parse(&d, text, len, 16, &root) < 0 ||
             flog_read(&d, root, &c->logs[c->n_logs]) < 0)
        fprintf(stderr, "checker: %s: %s\n", path, why);
    else {
        c->log_names[c->n_logs++] = strdup(
            json_object_object_get_ex(root, "learner", &name) &&
            json_object_is_type(name, json_type_string)
            ? json_object_get_string(name) : path);
        rc = 0;
    }
    json_object_put(root);
    free(text);
    return rc;
}

static struct op *ops_add(struct ops *o)
{
    if (array_reserve(&o->v, &o->cap, o->n + 1) < 0)
        return NULL;
    o->v[o->n] = (struct op){ .complete = NEVER, .pos = NOWHERE };
    return &o->v[o->n++];
}

/* An operation a process has invoked and not completed: which list, which
 * index. */
struct pending {
    struct ops *list;
    size_t index;
};

static int read_string_field(struct jr *d, json_object *o, const char *key,
                             char **out)
{
    const struct jr_path f = { NULL, key, 0 };
    json_object *v = jr_member(o, &f);

    if (!v)
        return jr_fail_field(d, &f, "is missing");
    return jr_string(d, v, &f, 1024, out);
}

static int read_completion(struct jr *d, json_object *o, struct op *op,
                           bool is_write)
{
    char *digest = NULL, *end;
    int rc = 0;

    if (op->out != OUT_OK)
        return 0;
    if (is_write)
        return jr_uint(d, o, &(struct jr_path){ NULL, "slot", 0 }, 1,
                       INT64_MAX, &op->slot);
    if (jr_uint(d, o, &(struct jr_path){ NULL, "count", 0 }, 0, INT64_MAX,
                &op->count) < 0 ||
        jr_uint(d, o, &(struct jr_path){ NULL, "last_slot", 0 }, 0, INT64_MAX,
                &op->last_slot) < 0 ||
        read_string_field(d, o, "digest", &digest) < 0)
        return -1;
    errno = 0;
    op->digest = strtoull(digest, &end, 16);
    if (errno || strlen(digest) != 16 || *end)
        rc = jr_fail(d, "field 'digest' must be 16 hexadecimal digits");
    free(digest);
    return rc;
}

/* One history line: an invocation opens an operation for its process, a
 * completion closes it. */
static int read_line(struct checker *c, struct jr *d, json_object *o,
                     struct pending **pending)
{
    char *type = NULL, *f = NULL;
    uint64_t process, time;
    struct pending *p;
    struct op *op;
    bool is_write;
    int rc = -1;

    if (read_string_field(d, o, "type", &type) < 0 ||
        read_string_field(d, o, "f", &f) < 0 ||
        jr_uint(d, o, &(struct jr_path){ NULL, "process", 0 }, 0,
                MAX_PROCESSES - 1, &process) < 0 ||
        jr_uint(d, o, &(struct jr_path){ NULL, "time", 0 }, 0, INT64_MAX - 1,
                &time) < 0)
        goto out;
    if (!(is_write = strcmp(f, "write") == 0) && strcmp(f, "read") != 0) {
        jr_fail(d, "field 'f' must be \"write\" or \"read\"");
        goto out;
    }
    if (c->lines++ == 0)
        c->first = (int64_t)time;
    if ((int64_t)time < c->last) {
        jr_fail(d, "time goes backwards");
        goto out;
    }
    c->last = (int64_t)time;
    if (process >= c->processes) {
        struct pending *grown = realloc(*pending, (process + 1) * sizeof(*grown));
        if (!grown) {
            jr_fail(d, "out of memory");
            goto out;
        }
        memset(grown + c->processes, 0,
               (process + 1 - c->processes) * sizeof(*grown));
        *pending = grown;
        c->processes = process + 1;
    }
    p = &(*pending)[process];
    if (strcmp(type, "invoke") == 0) {
        if (p->list) {
            jr_fail(d, "process %" PRIu64 " invokes before its last operation "
                    "completed", process);
            goto out;
        }
        p->list = is_write ? &c->writes : &c->reads;
        if (!(op = ops_add(p->list))) {
            jr_fail(d, "out of memory");
            goto out;
        }
        p->index = p->list->n - 1;
        op->invoke = (int64_t)time;
        if (read_string_field(d, o, "node", &op->node) < 0 ||
            (is_write && read_string_field(d, o, "value", &op->value) < 0))
            goto out;
        rc = 0;
        goto out;
    }
    if (!p->list || (p->list == &c->writes) != is_write) {
        jr_fail(d, "a completion without an invocation of process %" PRIu64,
                process);
        goto out;
    }
    op = &p->list->v[p->index];
    p->list = NULL;
    if (strcmp(type, "ok") == 0)
        op->out = OUT_OK;
    else if (strcmp(type, "fail") == 0)
        op->out = OUT_FAIL;
    else if (strcmp(type, "info") == 0)
        op->out = OUT_INFO;
    else {
        jr_fail(d, "field 'type' must be invoke, ok, fail or info");
        goto out;
    }
    if (op->out != OUT_INFO)    /* an unknown outcome may take effect later */
        op->complete = (int64_t)time;
    rc = read_completion(d, o, op, is_write);
out:
    free(type);
    free(f);
    return rc;
}

static int read_history(struct checker *c, const char *path)
{
    FILE *in = fopen(path, "r");
    struct pending *pending = NULL;
    char *line = NULL, why[300];
    struct jr d = { why, sizeof(why) };
    size_t cap = 0, lineno = 0;
    ssize_t len;
    int rc = 0;

    if (!in) {
        fprintf(stderr, "checker: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        json_object *o;
        lineno++;
        if (len == 0 || (len == 1 && line[0] == '\n'))
            continue;
        if (jr_parse(&d, line, (size_t)len, 8, &o) < 0 ||
            read_line(c, &d, o, &pending) < 0) {
            fprintf(stderr, "checker: %s:%zu: %s\n", path, lineno, why);
            rc = -1;
        }
        json_object_put(o);
    }
    /* Operations still open at the end have an unknown outcome. */
    for (size_t i = 0; rc == 0 && i < c->processes; i++)
        if (pending[i].list)
            pending[i].list->v[pending[i].index].out = OUT_INFO;
    free(pending);
    free(line);
    fclose(in);
    return rc;
}

/* ------------------------------------------------------------ lookups */

static int cmp_by_value(const void *a, const void *b, void *ud)
{
    const struct op *w = ud;

    return strcmp(w[*(const size_t *)a].value, w[*(const size_t *)b].value);
}

static int index_values(struct checker *c)
{
    if (!(c->by_value = malloc((c->writes.n + 1) * sizeof(size_t))))
        return -1;
    for (size_t i = 0; i < c->writes.n; i++)
        c->by_value[i] = i;
    qsort_r(c->by_value, c->writes.n, sizeof(size_t), cmp_by_value,
            c->writes.v);
    for (size_t i = 1; i < c->writes.n; i++)
        if (strcmp(c->writes.v[c->by_value[i]].value,
                   c->writes.v[c->by_value[i - 1]].value) == 0) {
            fprintf(stderr, "checker: the history writes '%s' twice: values "
                    "must be unique\n", c->writes.v[c->by_value[i]].value);
            return -1;
        }
    return 0;
}

/* The write of value, or NULL. */
static struct op *find_write(const struct checker *c, const char *value)
{
    size_t lo = 0, hi = c->writes.n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(value, c->writes.v[c->by_value[mid]].value);
        if (cmp == 0)
            return &c->writes.v[c->by_value[mid]];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Completed operations sorted by completion time, with the running
 * maximum of a key: answers "what is the largest key among operations that
 * completed before time t". */
struct before {
    const struct op **v;        /* sorted by complete */
    size_t *best;               /* best[i]: index in v of the max key in v[0..i] */
    size_t n;
    uint64_t (*key)(const struct op *);
};

static int cmp_by_complete(const void *a, const void *b)
{
    int64_t x = (*(const struct op *const *)a)->complete;
    int64_t y = (*(const struct op *const *)b)->complete;

    return (x > y) - (x < y);
}

static int before_init(struct before *b, const struct ops *ops,
                       bool (*take)(const struct op *),
                       uint64_t (*key)(const struct op *))
{
    *b = (struct before){ .key = key };
    b->v = malloc((ops->n + 1) * sizeof(*b->v));
    b->best = malloc((ops->n + 1) * sizeof(*b->best));
    if (!b->v || !b->best)
        return -1;
    for (size_t i = 0; i < ops->n; i++)
        if (take(&ops->v[i]))
            b->v[b->n++] = &ops->v[i];
    qsort(b->v, b->n, sizeof(*b->v), cmp_by_complete);
    for (size_t i = 0; i < b->n; i++)
        b->best[i] = i && key(b->v[b->best[i - 1]]) >= key(b->v[i])
                     ? b->best[i - 1] : i;
    return 0;
}

/* The operation with the largest key among those completed before t, or
 * NULL. */
static const struct op *before_max(const struct before *b, int64_t t)
{
    size_t lo = 0, hi = b->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->v[mid]->complete < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? b->v[b->best[lo - 1]] : NULL;
}

static void before_free(struct before *b)
{
    free(b->v);
    free(b->best);
}

static bool acked_in_log(const struct op *o)
{
    return o->out == OUT_OK && o->pos != NOWHERE;
}

static bool read_ok(const struct op *o)
{
    return o->out == OUT_OK;
}

static uint64_t key_pos(const struct op *o)
{
    return o->pos;
}

static uint64_t key_count(const struct op *o)
{
    return o->count;
}

/* ------------------------------------------------------------ checks */

static bool same_entry(const struct flog_entry *a, const struct flog_entry *b)
{
    return a->slot == b->slot && a->seq == b->seq &&
           strcmp(a->value, b->value) == 0 &&
           strcmp(a->client_id, b->client_id) == 0;
}

static void check_learners_agree(struct checker *c)
{
    const struct flog *ref = &c->logs[0];

    for (size_t k = 1; k < c->n_logs; k++) {
        const struct flog *l = &c->logs[k];
        size_t i = 0;
        while (i < ref->n && i < l->n && same_entry(&ref->v[i], &l->v[i]))
            i++;
        if (i < ref->n && i < l->n)
            violation(c, V_DISAGREE, "%s holds slot %" PRIu64 " = '%s' (%s/%"
                      PRIu64 ") where %s holds slot %" PRIu64 " = '%s' (%s/%"
                      PRIu64 ")", c->log_names[k], l->v[i].slot, l->v[i].value,
                      l->v[i].client_id, l->v[i].seq, c->log_names[0],
                      ref->v[i].slot, ref->v[i].value, ref->v[i].client_id,
                      ref->v[i].seq);
        else if (i < ref->n || i < l->n)
            violation(c, V_DISAGREE, "%s holds %zu values and %s %zu; they "
                      "agree up to the shorter one", c->log_names[k], l->n,
                      c->log_names[0], ref->n);
    }
}

/* Places every value of the reference log on its write. */
static void check_log_values(struct checker *c)
{
    const struct flog *log = &c->logs[0];

    for (size_t i = 0; i < log->n; i++) {
        const struct flog_entry *e = &log->v[i];
        struct op *w = find_write(c, e->value);
        if (!w)
            violation(c, V_PHANTOM, "slot %" PRIu64 " holds '%s' (%s/%" PRIu64
                      "), which no write of the history sent", e->slot,
                      e->value, e->client_id, e->seq);
        else if (w->pos != NOWHERE)
            violation(c, V_DUPLICATED, "'%s' is at slot %" PRIu64 " and again "
                      "at slot %" PRIu64, e->value, log->v[w->pos].slot, e->slot);
        else
            w->pos = i;
    }
}

static void check_writes(struct checker *c)
{
    const struct flog *log = &c->logs[0];

    for (size_t i = 0; i < c->writes.n; i++) {
        const struct op *w = &c->writes.v[i];
        if (w->out == OUT_OK && w->pos == NOWHERE)
            violation(c, V_LOST, "'%s' was acknowledged by %s at %.3f s with "
                      "slot %" PRIu64 " and is not in the log", w->value,
                      w->node, secs(c, w->complete), w->slot);
        else if (w->out == OUT_OK && log->v[w->pos].slot != w->slot)
            violation(c, V_WRONG_SLOT, "'%s' was acknowledged by %s with slot %"
                      PRIu64 " and is at slot %" PRIu64, w->value, w->node,
                      w->slot, log->v[w->pos].slot);
        else if (w->out == OUT_FAIL && w->pos != NOWHERE)
            violation(c, V_FAILED_CHOSEN, "'%s' failed at %s at %.3f s and is "
                      "at slot %" PRIu64, w->value, w->node,
                      secs(c, w->complete), log->v[w->pos].slot);
    }
}

/* A write in the log must come after every write acknowledged before it
 * was invoked. */
static int check_real_time(struct checker *c)
{
    const struct flog *log = &c->logs[0];
    struct before acked;

    if (before_init(&acked, &c->writes, acked_in_log, key_pos) < 0)
        return -1;
    for (size_t i = 0; i < c->writes.n; i++) {
        const struct op *w = &c->writes.v[i];
        const struct op *a = w->pos == NOWHERE ? NULL : before_max(&acked, w->invoke);
        if (a && a->pos > w->pos)
            violation(c, V_REORDERED, "'%s' (invoked at %.3f s) is at slot %"
                      PRIu64 ", before '%s' at slot %" PRIu64 ", which was "
                      "acknowledged at %.3f s", w->value, secs(c, w->invoke),
                      log->v[w->pos].slot, a->value, log->v[a->pos].slot,
                      secs(c, a->complete));
    }
    before_free(&acked);
    return 0;
}

static int check_reads(struct checker *c)
{
    const struct flog *log = &c->logs[0];
    uint64_t *digest = malloc((log->n + 1) * sizeof(*digest));
    int64_t *invoked = malloc((log->n + 1) * sizeof(*invoked));
    struct before acked = { 0 }, reads = { 0 };
    int rc = -1;

    /* digest[i], invoked[i]: of the first i values of the log. */
    if (!digest || !invoked ||
        before_init(&acked, &c->writes, acked_in_log, key_pos) < 0 ||
        before_init(&reads, &c->reads, read_ok, key_count) < 0)
        goto out;
    digest[0] = FLOG_DIGEST_INIT;
    invoked[0] = INT64_MIN;
    for (size_t i = 0; i < log->n; i++) {
        const struct op *w = find_write(c, log->v[i].value);
        digest[i + 1] = flog_digest_step(digest[i], &log->v[i]);
        invoked[i + 1] = w && w->invoke > invoked[i] ? w->invoke : invoked[i];
    }
    for (size_t i = 0; i < c->reads.n; i++) {
        const struct op *r = &c->reads.v[i], *a, *prev;
        if (r->out != OUT_OK)
            continue;
        if (r->count > log->n || digest[r->count] != r->digest ||
            r->last_slot != (r->count ? log->v[r->count - 1].slot : 0)) {
            violation(c, V_DIVERGENT_READ, "the read by %s at %.3f s returned "
                      "%" PRIu64 " values up to slot %" PRIu64 " that are not "
                      "the log's first %" PRIu64, r->node, secs(c, r->invoke),
                      r->count, r->last_slot, r->count);
            continue;
        }
        a = before_max(&acked, r->invoke);
        prev = before_max(&reads, r->invoke);
        if (a && a->pos >= r->count)
            violation(c, V_STALE_READ, "the read by %s at %.3f s returned %"
                      PRIu64 " values, up to slot %" PRIu64 ", without '%s' "
                      "(slot %" PRIu64 "), acknowledged at %.3f s", r->node,
                      secs(c, r->invoke), r->count, r->last_slot, a->value,
                      log->v[a->pos].slot, secs(c, a->complete));
        else if (prev && prev->count > r->count)
            violation(c, V_STALE_READ, "the read by %s at %.3f s returned %"
                      PRIu64 " values, fewer than the %" PRIu64 " of the read "
                      "by %s that ended at %.3f s", r->node, secs(c, r->invoke),
                      r->count, prev->count, prev->node, secs(c, prev->complete));
        if (invoked[r->count] > r->complete)
            violation(c, V_FUTURE_READ, "the read by %s that ended at %.3f s "
                      "returned a value written at %.3f s", r->node,
                      secs(c, r->complete), secs(c, invoked[r->count]));
    }
    rc = 0;
out:
    before_free(&acked);
    before_free(&reads);
    free(digest);
    free(invoked);
    return rc;
}

/* ------------------------------------------------------------ figures */

static int cmp_ballot(const void *a, const void *b)
{
    return ballot_cmp(*(const struct ballot *)a, *(const struct ballot *)b);
}

/* Distinct ballots that chose values in the reference log, less one. */
static size_t leader_changes(const struct checker *c)
{
    const struct flog *log = &c->logs[0];
    struct ballot *b = malloc((log->n + 1) * sizeof(*b));
    size_t distinct = 0;

    if (!b)
        return 0;
    for (size_t i = 0; i < log->n; i++)
        b[i] = log->v[i].ballot;
    qsort(b, log->n, sizeof(*b), cmp_ballot);
    for (size_t i = 0; i < log->n; i++)
        distinct += i == 0 || ballot_cmp(b[i - 1], b[i]) != 0;
    free(b);
    return distinct ? distinct - 1 : 0;
}

static int cmp_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* The longest time without an acknowledged write, from the history's
 * first line to its last. */
static void print_unavailability(const struct checker *c)
{
    int64_t *t = malloc((c->writes.n + 2) * sizeof(*t));
    size_t n = 0, at = 0;
    int64_t longest = 0;

    if (!t)
        return;
    t[n++] = c->first;
    for (size_t i = 0; i < c->writes.n; i++)
        if (c->writes.v[i].out == OUT_OK)
            t[n++] = c->writes.v[i].complete;
    t[n++] = c->last;
    qsort(t, n, sizeof(*t), cmp_time);
    for (size_t i = 1; i < n; i++)
        if (t[i] - t[i - 1] > longest) {
            longest = t[i] - t[i - 1];
            at = i - 1;
        }
    printf("longest unavailability: %.3f s (from %.3f s to %.3f s)\n",
           (double)longest / 1e9, secs(c, t[at]), secs(c, t[at] + longest));
    free(t);
}

static void print_figures(const struct checker *c, size_t violations)
{
    size_t out[4] = { 0 }, reads_ok = 0;
    const struct flog *log = &c->logs[0];

    for (size_t i = 0; i < c->writes.n; i++)
        out[c->writes.v[i].out]++;
    for (size_t i = 0; i < c->reads.n; i++)
        reads_ok += c->reads.v[i].out == OUT_OK;
    printf("history: %zu lines by %zu processes over %.1f s\n", c->lines,
           c->processes, secs(c, c->last));
    printf("final log: %zu values", log->n);
    if (log->n)
        printf(" in slots %" PRIu64 "..%" PRIu64, log->v[0].slot,
               log->v[log->n - 1].slot);
    printf(", on %zu learner%s\n", c->n_logs, c->n_logs == 1 ? "" : "s");
    printf("ops: %zu\n", c->writes.n + c->reads.n);
    printf("writes: %zu\n", c->writes.n);
    printf("acknowledged: %zu\n", out[OUT_OK]);
    printf("failed: %zu\n", out[OUT_FAIL]);
    printf("unknown: %zu\n", out[OUT_INFO] + out[OUT_PENDING]);
    printf("reads: %zu\n", c->reads.n);
    printf("reads ok: %zu\n", reads_ok);
    for (int k = 0; k < V_KINDS; k++)
        printf("%s: %zu\n", kind_figure[k], c->count[k]);
    printf("leader changes: %zu\n", leader_changes(c));
    print_unavailability(c);
    if (violations)
        printf("result: FAIL (%zu violations)\n", violations);
    else
        printf("result: PASS\n");
}

/* ------------------------------------------------------------ main */

static void usage(FILE *out)
{
    fputs("Usage: checker --history FILE --log FILE [--log FILE]...\n"
          "Checks a fault-suite history against the learners' final logs\n"
          "(GET /get-values answers; the first is the reference).\n"
          "Exit status: 0 no violation, 1 violations, 2 unreadable input.\n", out);
}

static void checker_free(struct checker *c)
{
    struct ops *lists[] = { &c->writes, &c->reads };

    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            free(lists[l]->v[i].node);
            free(lists[l]->v[i].value);
        }
        free(lists[l]->v);
    }
    for (size_t i = 0; i < c->n_logs; i++) {
        flog_free(&c->logs[i]);
        free(c->log_names[i]);
    }
    free(c->by_value);
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        { "history", required_argument, NULL, 'H' },
        { "log", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct checker c = { 0 };
    const char *history = NULL;
    size_t violations = 0;
    int opt, rc = 2;

    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'H': history = optarg; break;
        case 'l':
            if (read_log(&c, optarg) < 0)
                goto out;
            break;
        case 'h': usage(stdout); rc = 0; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (!history || !c.n_logs || optind < argc) {
        usage(stderr);
        goto out;
    }
    if (read_history(&c, history) < 0 || index_values(&c) < 0)
        goto out;
    check_learners_agree(&c);
    check_log_values(&c);
    check_writes(&c);
    if (check_real_time(&c) < 0 || check_reads(&c) < 0) {
        fprintf(stderr, "checker: out of memory\n");
        goto out;
    }
    for (int k = 0; k < V_KINDS; k++) {
        violations += c.count[k];
        if (c.count[k] > SHOWN_PER_KIND)
            printf("VIOLATION %s: ... and %zu more\n", kind_name[k],
                   c.count[k] - SHOWN_PER_KIND);
    }
    print_figures(&c, violations);
    rc = violations ? 1 : 0;
out:
    checker_free(&c);
    return rc;
}

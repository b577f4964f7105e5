/* script.c -- paxos-top --write and --script: writes, reads, waits and
 * checks run one after the other on the event loop, each printed with
 * its result on one line ("write 'x' -> slot 12 (client1, 3 ms)").
 *
 * Every line is read and checked before anything runs (a bad one exits 2
 * naming it); the first command starts once the first poll round has
 * filled the model, and the first failure stops the run (exit 1). Waits
 * (wait-leader, expect-values, expect-leader) look at the model after
 * every poll round until their timeout. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "array.h"
#include "fetch.h"
#include "jsonread.h"
#include "loop.h"
#include "model.h"
#include "poller.h"

#define WAIT_DEFAULT_S 10.0         /* the cluster's request timeout */
#define SECONDS_MAX 86400.0
#define READ_TIMEOUT_MS 20000
#define READ_SHOWN 3                /* values a read prints */
#define QUOTE_MAX 32

struct script;
struct command;

/* What a command does: start() begins it (it ends with succeed/fail), or
 * check() says whether a wait is over, describing the state in out. */
struct command_spec {
    const char *name;
    int (*parse)(struct script *s, struct command *c, char *args, char *err,
                 size_t errlen);
    void (*start)(struct script *s, struct command *c);
    bool (*check)(struct script *s, const struct command *c, char *out,
                  size_t size);
    bool direct;                    /* writes: to a proposer */
};

struct command {
    const struct command_spec *spec;
    char *text;                     /* a write's value; expect-leader's name */
    uint64_t count;                 /* expect-values */
    double seconds;                 /* sleep; a wait's timeout */
    char where[64];                 /* "FILE:LINE" or "--write #N" */
    char *line;                     /* as written, for the result line */
};

struct script {
    struct app *app;
    struct command *cmds;
    size_t n, cap, next;
    int rc;                         /* -1 while running */
    int64_t started_ms;             /* the current command's start */
    uint64_t timer;                 /* advance, sleep or a wait's deadline */
    bool first_round_done, waiting;
};

/* ---- results ---- */

static void schedule(struct script *s, int64_t ms, loop_timer_fn fn)
{
    if (s->timer)
        loop_cancel(s->app->loop, s->timer);
    s->timer = loop_timer(s->app->loop, ms, fn, s);
}

static void finish(struct script *s, int rc)
{
    s->rc = rc;
    loop_stop(s->app->loop);
}

static void run_next(struct loop *l, void *ud);

/* Prints the result line; the script goes on, or stops at a failure. */
static void report(struct script *s, bool ok, const char *text)
{
    const struct command *c = &s->cmds[s->next];

    printf("%s\n", text);
    fflush(stdout);
    if (!ok) {
        fprintf(stderr, "paxos-top: %s: '%s' failed, stopping\n", c->where,
                c->line);
        finish(s, 1);
        return;
    }
    s->next++;
    schedule(s, 0, run_next);   /* from the loop: no deep recursion */
}

static void result(struct script *s, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "LINE -> what happened" */
static void result(struct script *s, bool ok, const char *fmt, ...)
{
    char what[512], text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(text, sizeof text, "%s -> %s%s", s->cmds[s->next].line,
             ok ? "" : "FAILED: ", what);
    report(s, ok, text);
}

static double elapsed_s(const struct script *s)
{
    return (double)(loop_now_ms() - s->started_ms) / 1000.0;
}

static void quote(char *out, size_t size, const char *text)
{
    size_t len = strlen(text);

    if (len < size - 2)
        snprintf(out, size, "'%s'", text);
    else
        snprintf(out, size, "'%.*s...'", (int)(size - 6), text);
}

/* ---- writes ---- */

static void on_written(struct app *app, void *ud, int status, const char *body)
{
    struct script *s = ud;
    const struct model *m = &app->model;
    const struct model_event *e = model_event_at(m, m->n_events - 1);

    /* The model has just recorded the outcome as its newest event. */
    report(s, status == 200, e ? e->text : "write: no outcome recorded");
}

static void start_write(struct script *s, struct command *c)
{
    if (poller_write(s->app->poller, NULL, c->spec->direct, c->text,
                     on_written, s) != 0)
        result(s, false, "no %s to write to", c->spec->direct
               ? "proposer (the configured one, or a leader)" : "client");
}

/* ---- read ---- */

/* Appends to out (size bytes, used so far) as far as it fits. */
static void append(char *out, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *out, size_t size, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used + 1 >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}

static const char *member_text(json_object *obj, const char *key)
{
    json_object *val = NULL;

    json_object_object_get_ex(obj, key, &val);
    return val ? json_object_get_string(val) : "?";
}

/* "N values from learner1 (applied A): ..., 'x', 'y'" from /read's answer. */
static void describe_read(const char *body, size_t len, char *out, size_t size)
{
    char err[128], shown[QUOTE_MAX + 4];
    struct jr d = { err, sizeof err };
    json_object *root = NULL, *values = NULL;
    size_t used = 0;

    out[0] = '\0';
    if (jr_parse(&d, body, len, 32, &root) != 0) {
        append(out, size, &used, "unreadable answer: %s", err);
        return;
    }
    json_object_object_get_ex(root, "values", &values);
    size_t n = json_object_is_type(values, json_type_array)
                   ? json_object_array_length(values) : 0;
    size_t first = n > READ_SHOWN ? n - READ_SHOWN : 0;
    append(out, size, &used, "%zu values from %s (applied %s)%s%s", n,
           member_text(root, "learner"), member_text(root, "applied"),
           n ? ":" : "", first ? " ...," : "");
    for (size_t k = first; k < n; k++) {
        json_object *text = NULL;
        json_object_object_get_ex(json_object_array_get_idx(values, k),
                                  "value", &text);
        quote(shown, sizeof shown, text ? json_object_get_string(text)
                                        : "(no-op)");
        append(out, size, &used, " %s%s", shown, k + 1 < n ? "," : "");
    }
    json_object_put(root);
}

static void on_read(void *ud, int status, const char *body, size_t len,
                    const char *err)
{
    struct script *s = ud;
    char what[400];

    if (err)
        result(s, false, "no answer: %s", err);
    else if (status != 200)
        result(s, false, "HTTP %d: %.200s", status, body);
    else {
        describe_read(body, len, what, sizeof what);
        result(s, true, "%s", what);
    }
}

static void start_read(struct script *s, struct command *c)
{
    int target = poller_target(s->app->poller, NULL, false);
    char url[MODEL_ADDR_MAX + 16];

    if (target < 0) {
        result(s, false, "no client to read from");
        return;
    }
    const struct endpoint *ep = &s->app->model.nodes[target].ep;
    snprintf(url, sizeof url, "http://%s:%u/read", ep->host, ep->port);
    if (fetch_request(s->app->fetch, "GET", url, NULL, 0,
                      READ_TIMEOUT_MS, on_read, s) != 0)
        result(s, false, "cannot start the request to %s", ep->name);
}

/* ---- sleep ---- */

static void on_slept(struct loop *l, void *ud)
{
    struct script *s = ud;

    s->timer = 0;
    result(s, true, "ok");
}

static void start_sleep(struct script *s, struct command *c)
{
    schedule(s, (int64_t)(c->seconds * 1000), on_slept);
}

/* ---- waits ---- */

static bool check_leader(struct script *s, const struct command *c, char *out,
                         size_t size)
{
    const struct model *m = &s->app->model;

    if (!m->leader[0]) {
        snprintf(out, size, "no leader");
        return false;
    }
    snprintf(out, size, "%s (ballot %" PRIu32 ".%" PRIu32 ") after %.1f s",
             m->leader, m->leader_ballot.round, m->leader_ballot.node,
             elapsed_s(s));
    return true;
}

static bool check_values(struct script *s, const struct command *c, char *out,
                         size_t size)
{
    const struct model *m = &s->app->model;
    size_t used = 0, up = 0, short_of = 0;

    out[0] = '\0';
    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        if (strcmp(model_node_role(n), "learner") != 0)
            continue;
        append(out, size, &used, "%s%s ", used ? ", " : "", n->ep.name);
        if (n->up)
            append(out, size, &used, "%" PRIu64, n->values_count);
        else
            append(out, size, &used, "down");
        up += n->up;
        short_of += n->up && n->values_count < c->count;
    }
    if (up == 0)
        append(out, size, &used, "%sno learner up", used ? "; " : "");
    return up > 0 && short_of == 0;
}

static bool check_named_leader(struct script *s, const struct command *c,
                               char *out, size_t size)
{
    const struct model *m = &s->app->model;

    if (strcmp(m->leader, c->text) == 0) {
        snprintf(out, size, "ok (ballot %" PRIu32 ".%" PRIu32 ")",
                 m->leader_ballot.round, m->leader_ballot.node);
        return true;
    }
    snprintf(out, size, "the leader is %s", m->leader[0] ? m->leader : "none");
    return false;
}

/* Ends the wait when its check passes, or (at the deadline) fails it. */
static void evaluate_wait(struct script *s, bool deadline)
{
    const struct command *c = &s->cmds[s->next];
    char state[400];

    if (c->spec->check(s, c, state, sizeof state)) {
        s->waiting = false;
        result(s, true, "%s", state);
    } else if (deadline) {
        s->waiting = false;
        result(s, false, "not within %g s: %s", c->seconds, state);
    }
}

static void on_deadline(struct loop *l, void *ud)
{
    struct script *s = ud;

    s->timer = 0;
    evaluate_wait(s, true);
}

static void start_wait(struct script *s, struct command *c)
{
    s->waiting = true;
    schedule(s, (int64_t)(c->seconds * 1000), on_deadline);
    evaluate_wait(s, false);
}

/* ---- arguments ---- */

/* The next blank-separated word of *rest (NUL-terminated), or NULL. */
static char *next_word(char **rest)
{
    char *word = *rest + strspn(*rest, " \t");

    if (!*word)
        return NULL;
    *rest = word + strcspn(word, " \t");
    if (**rest)
        *(*rest)++ = '\0';
    return word;
}

static int parse_seconds(const char *word, double *out, char *err,
                         size_t errlen)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(word, &end);
    if (errno || end == word || *end || !isfinite(v) || v < 0 ||
        v > SECONDS_MAX) {
        snprintf(err, errlen, "'%s' is not a number of seconds (0-%g)", word,
                 SECONDS_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

/* The optional timeout that ends a wait's line, and nothing after it. */
static int parse_timeout(char *rest, double *out, char *err, size_t errlen)
{
    char *word = next_word(&rest);

    *out = WAIT_DEFAULT_S;
    if (word && parse_seconds(word, out, err, errlen) != 0)
        return -1;
    if (next_word(&rest)) {
        snprintf(err, errlen, "too many arguments");
        return -1;
    }
    return 0;
}

static int parse_value(struct script *s, struct command *c, char *args,
                       char *err, size_t errlen)
{
    if (!args[0]) {
        snprintf(err, errlen, "%s needs a value", c->spec->name);
        return -1;
    }
    if (!(c->text = strdup(args))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_nothing(struct script *s, struct command *c, char *args,
                         char *err, size_t errlen)
{
    if (!args[0])
        return 0;
    snprintf(err, errlen, "%s takes no argument", c->spec->name);
    return -1;
}

static int parse_sleep(struct script *s, struct command *c, char *args,
                       char *err, size_t errlen)
{
    char *word = next_word(&args);

    if (!word || next_word(&args)) {
        snprintf(err, errlen, "sleep takes one number of seconds");
        return -1;
    }
    return parse_seconds(word, &c->seconds, err, errlen);
}

static int parse_wait_leader(struct script *s, struct command *c, char *args,
                             char *err, size_t errlen)
{
    return parse_timeout(args, &c->seconds, err, errlen);
}

static int parse_expect_values(struct script *s, struct command *c,
                               char *args, char *err, size_t errlen)
{
    char *word = next_word(&args), *end;

    errno = 0;
    if (!word || *word == '-' || (c->count = strtoull(word, &end, 10), errno) ||
        *end) {
        snprintf(err, errlen, "expect-values takes a count of values and an "
                 "optional timeout in seconds");
        return -1;
    }
    return parse_timeout(args, &c->seconds, err, errlen);
}

static int parse_expect_leader(struct script *s, struct command *c,
                               char *args, char *err, size_t errlen)
{
    const struct model *m = &s->app->model;
    char *word = next_word(&args);
    size_t i = 0;

    if (!word) {
        snprintf(err, errlen, "expect-leader needs a proposer's name");
        return -1;
    }
    while (i < m->n_nodes && strcmp(m->nodes[i].ep.name, word) != 0)
        i++;
    if (i == m->n_nodes) {
        snprintf(err, errlen, "no node named '%.32s'", word);
        return -1;
    }
    if (!(c->text = strdup(word))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return parse_timeout(args, &c->seconds, err, errlen);
}

static const struct command_spec COMMANDS[] = {
    { "write", parse_value, start_write, NULL, false },
    { "direct-write", parse_value, start_write, NULL, true },
    { "read", parse_nothing, start_read, NULL, false },
    { "sleep", parse_sleep, start_sleep, NULL, false },
    { "wait-leader", parse_wait_leader, start_wait, check_leader, false },
    { "expect-values", parse_expect_values, start_wait, check_values, false },
    { "expect-leader", parse_expect_leader, start_wait, check_named_leader,
      false },
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

/* ---- reading the commands ---- */

static struct command *new_command(struct script *s)
{
    if (array_reserve(&s->cmds, &s->cap, s->n + 1) < 0)
        return NULL;
    memset(&s->cmds[s->n], 0, sizeof s->cmds[s->n]);
    return &s->cmds[s->n++];
}

static void free_commands(struct script *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->cmds[i].text);
        free(s->cmds[i].line);
    }
    free(s->cmds);
}

/* Adds the command of line (trimmed, not blank); -1 with a message on
 * stderr naming where when it is unknown or its arguments are bad. */
static int add_command(struct script *s, char *line, const char *where)
{
    char err[256], *rest = line;
    struct command *c;
    size_t k = 0;

    if (!(c = new_command(s)) || !(c->line = strdup(line))) {
        fprintf(stderr, "paxos-top: out of memory\n");
        return -1;
    }
    snprintf(c->where, sizeof c->where, "%s", where);
    char *name = next_word(&rest);
    while (k < N_COMMANDS && strcmp(COMMANDS[k].name, name) != 0)
        k++;
    if (k == N_COMMANDS) {
        fprintf(stderr, "paxos-top: %s: unknown command '%.40s' (commands: "
                "write, direct-write, read, sleep, wait-leader, expect-values, "
                "expect-leader)\n", where, name);
        return -1;
    }
    c->spec = &COMMANDS[k];
    rest += strspn(rest, " \t");
    if (c->spec->parse(s, c, rest, err, sizeof err) != 0) {
        fprintf(stderr, "paxos-top: %s: %s\n", where, err);
        return -1;
    }
    return 0;
}

static char *trim(char *line)
{
    char *end = line + strlen(line);

    line += strspn(line, " \t");
    while (end > line && strchr(" \t\r\n", end[-1]))
        *--end = '\0';
    return line;
}

static int load_file(struct script *s, const char *path)
{
    char where[64], *buf = NULL;
    size_t cap = 0, line_no = 0;
    int rc = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        fprintf(stderr, "paxos-top: cannot read the script %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    while (rc == 0 && getline(&buf, &cap, f) >= 0) {
        char *line = trim(buf);
        line_no++;
        if (!line[0] || line[0] == '#')
            continue;
        snprintf(where, sizeof where, "%.40s:%zu", path, line_no);
        rc = add_command(s, line, where);
    }
    free(buf);
    fclose(f);
    return rc;
}

/* --write V becomes the command "write V". */
static int load_writes(struct script *s)
{
    char where[32];

    for (size_t i = 0; i < s->app->opt.n_writes; i++) {
        char *line = NULL;
        snprintf(where, sizeof where, "--write #%zu", i + 1);
        if (asprintf(&line, "write %s", s->app->opt.writes[i]) < 0) {
            fprintf(stderr, "paxos-top: out of memory\n");
            return -1;
        }
        int rc = add_command(s, line, where);
        free(line);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- running ---- */

static void run_next(struct loop *l, void *ud)
{
    struct script *s = ud;

    s->timer = 0;
    if (s->next == s->n) {
        finish(s, 0);
        return;
    }
    struct command *c = &s->cmds[s->next];
    s->started_ms = loop_now_ms();
    c->spec->start(s, c);
}

static void on_round(struct app *app, void *ud)
{
    struct script *s = ud;

    if (!s->first_round_done) {
        s->first_round_done = true;
        schedule(s, 0, run_next);
    } else if (s->waiting) {
        evaluate_wait(s, false);
    }
}

int script_run(struct app *app)
{
    struct script s = { .app = app, .rc = -1 };
    int rc = 2;

    if (load_writes(&s) != 0 ||
        (app->opt.script && load_file(&s, app->opt.script) != 0))
        goto cleanup;
    poller_on_round(app->poller, on_round, &s);
    loop_run(app->loop);
    poller_on_round(app->poller, NULL, NULL);
    if (s.rc < 0)
        fprintf(stderr, "paxos-top: interrupted at %s\n", s.next < s.n
                ? s.cmds[s.next].where : "the start");
    rc = s.rc < 0 ? 1 : s.rc;
cleanup:
    if (s.timer)
        loop_cancel(app->loop, s.timer);
    free_commands(&s);
    return rc;
}

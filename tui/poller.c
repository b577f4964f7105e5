/* poller.c -- the poller (see poller.h) on common/loop and tui/fetch.
 *
 * A round asks every node's /status and every live learner's next
 * /get-values page at once; each answer goes to the model as it comes.
 * Every request carries a timeout (the interval, at most 2 s), so the
 * round always ends: when the last request is in, the model is ticked,
 * the round callback runs and the next round is timed from this one's
 * start. Writes POST to a client's /send or a proposer's /propose, and
 * changes of the acceptor set to a proposer's /voters; each triggers a
 * round once answered. Before a round, the local cluster's endpoints file
 * is read again when it changed: a node started since (a spare acceptor)
 * is watched from then on.
 *
 * The poller owns what its in-flight requests point to (one status and
 * one values slot per node, room for MODEL_NODES_MAX, and a list of
 * posts), so poller_stop() ends those requests itself (it frees the HTTP
 * client) before freeing them, once the loop no longer runs. */
#include "poller.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "endpoints.h"
#include "fetch.h"
#include "loop.h"
#include "model.h"

#define POLL_TIMEOUT_MAX_MS 2000
#define WRITE_TIMEOUT_MS 20000      /* a client gives up after 10 s itself */
#define URL_MAX (MODEL_ADDR_MAX + 96)

/* One node's request of the round: /status or /get-values. */
struct node_request {
    struct poller *p;
    size_t node;
    int64_t started_ms;         /* monotonic */
};

/* A POST in flight: a write (value) or a change of the acceptor set. */
struct post_request {
    struct poller *p;
    struct post_request *prev, *next;
    char target[MODEL_NAME_MAX];
    char *value;                /* a write's; NULL for a change */
    struct model_change change;
    poller_write_fn write_fn;
    poller_change_fn change_fn;
    void *ud;
    int64_t started_ms;
};

struct poller {
    struct app *app;
    poller_round_fn fn;
    void *ud;
    struct node_request *status, *values;   /* per node */
    struct post_request *posts;             /* in flight */
    struct timespec endpoints_mtime;        /* of the file last read */
    off_t endpoints_size;
    uint64_t timer;             /* the next round; 0: none */
    size_t in_flight;           /* the round's requests not yet answered */
    bool in_round, again, paused;
    int64_t round_started_ms;
    size_t rounds;
};

static void start_round(struct poller *p);

/* What the model's times are: wall-clock milliseconds (see model.h). */
static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long poll_timeout_ms(const struct poller *p)
{
    int interval = p->app->opt.interval_ms;

    return interval < POLL_TIMEOUT_MAX_MS ? interval : POLL_TIMEOUT_MAX_MS;
}

static void node_url(const struct poller *p, size_t i, const char *path,
                     char *url, size_t size)
{
    const struct endpoint *ep = &p->app->model.nodes[i].ep;

    snprintf(url, size, "http://%s:%u%s", ep->host, ep->port, path);
}

/* The client's error as a user reads it: "connection refused", "no
 * answer within 2000 ms", "cannot resolve the host"; anything else as
 * the client says it. */
static void transport_reason(const char *err, int64_t took_ms, char *out,
                             size_t size)
{
    if (strcasestr(err, "refused"))
        snprintf(out, size, "connection refused");
    else if (strcasestr(err, "timed out") || strcasestr(err, "timeout"))
        snprintf(out, size, "no answer within %" PRId64 " ms", took_ms);
    else if (strcasestr(err, "resolve"))
        snprintf(out, size, "cannot resolve the host");
    else
        snprintf(out, size, "%s", err);
}

static int node_index(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->n_nodes; i++)
        if (strcmp(m->nodes[i].ep.name, name) == 0)
            return (int)i;
    return -1;
}

/* ---- rounds ---- */

static void on_round_timer(struct loop *l, void *ud)
{
    struct poller *p = ud;

    p->timer = 0;
    start_round(p);
}

static void schedule_round(struct poller *p, int64_t delay_ms)
{
    if (p->timer)
        loop_cancel(p->app->loop, p->timer);
    p->timer = loop_timer(p->app->loop, delay_ms, on_round_timer, p);
}

static void finish_round(struct poller *p)
{
    int64_t next = p->round_started_ms + p->app->opt.interval_ms;

    p->in_round = false;
    p->rounds++;
    model_tick(&p->app->model, wall_ms());
    schedule_round(p, p->again ? 0 : next - loop_now_ms());
    if (p->fn)
        p->fn(p->app, p->ud);
}

static void request_done(struct poller *p)
{
    if (--p->in_flight == 0)
        finish_round(p);
}

static void on_status(void *ud, int status, const char *body, size_t len,
                      const char *err)
{
    struct node_request *r = ud;
    struct poller *p = r->p;
    int64_t took = loop_now_ms() - r->started_ms;
    char reason[MODEL_TEXT_MAX];

    if (err) {
        transport_reason(err, took, reason, sizeof reason);
        model_status(&p->app->model, r->node, 0, reason, strlen(reason), took,
                     wall_ms());
    } else {
        model_status(&p->app->model, r->node, status, body, len, took,
                     wall_ms());
    }
    request_done(p);
}

static void on_values(void *ud, int status, const char *body, size_t len,
                      const char *err)
{
    struct node_request *r = ud;

    if (!err && status == 200)
        model_values(&r->p->app->model, r->node, body, len);
    request_done(r->p);
}

/* Starts GET path on node i for the round; a request that cannot start
 * is answered at once as failed. */
static void ask(struct poller *p, struct node_request *r, size_t i,
                const char *path, fetch_done_fn done)
{
    char url[URL_MAX];

    node_url(p, i, path, url, sizeof url);
    r->p = p;
    r->node = i;
    r->started_ms = loop_now_ms();
    p->in_flight++;
    if (fetch_request(p->app->fetch, "GET", url, NULL, 0,
                      poll_timeout_ms(p), done, r) != 0)
        done(r, 0, "", 0, "cannot start the request");
}

/* Watches the nodes the endpoints file lists that the model does not
 * have yet, when the file changed since it was last read. */
static void discover(struct poller *p)
{
    const char *path = p->app->opt.endpoints_file;
    struct model *m = &p->app->model;
    struct endpoint *eps;
    struct stat st;
    char err[256];
    int n;

    if (!path || stat(path, &st) != 0 ||
        (st.st_mtim.tv_sec == p->endpoints_mtime.tv_sec &&
         st.st_mtim.tv_nsec == p->endpoints_mtime.tv_nsec &&
         st.st_size == p->endpoints_size))
        return;
    p->endpoints_mtime = st.st_mtim;
    p->endpoints_size = st.st_size;
    if (!(eps = calloc(ENDPOINTS_MAX, sizeof *eps)))
        return;
    if ((n = endpoints_from_file(path, eps, ENDPOINTS_MAX, err,
                                 sizeof err)) < 0)
        model_event(m, wall_ms(), "%s", err);
    for (int k = 0; k < n; k++)
        if (node_index(m, eps[k].name) < 0)
            model_add_node(m, &eps[k], wall_ms());
    free(eps);
}

static void start_round(struct poller *p)
{
    const struct model *m = &p->app->model;
    char path[96];

    if (p->paused || p->in_round)
        return;
    discover(p);
    p->in_round = true;
    p->again = false;
    p->round_started_ms = loop_now_ms();
    p->in_flight = 1;   /* held while the requests start */
    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        ask(p, &p->status[i], i, "/status", on_status);
        if (n->up && strcmp(n->role, "learner") == 0) {
            snprintf(path, sizeof path, "/get-values?from=%" PRIu64
                     "&limit=%d", model_values_from(m, i), MODEL_VALUES_PAGE);
            ask(p, &p->values[i], i, path, on_values);
        }
    }
    request_done(p);
}

/* ---- control ---- */

struct poller *poller_start(struct app *app, poller_round_fn fn, void *ud)
{
    struct poller *p = calloc(1, sizeof *p);
    struct stat st;

    if (!p)
        return NULL;
    p->app = app;
    p->fn = fn;
    p->ud = ud;
    p->status = calloc(MODEL_NODES_MAX, sizeof *p->status);
    p->values = calloc(MODEL_NODES_MAX, sizeof *p->values);
    /* The model holds what the file listed at start. */
    if (app->opt.endpoints_file && stat(app->opt.endpoints_file, &st) == 0) {
        p->endpoints_mtime = st.st_mtim;
        p->endpoints_size = st.st_size;
    }
    if (!p->status || !p->values) {
        poller_stop(p);
        return NULL;
    }
    schedule_round(p, 0);
    return p;
}

static void free_post(struct post_request *r)
{
    free(r->value);
    free(r);
}

void poller_stop(struct poller *p)
{
    if (!p)
        return;
    if (p->timer)
        loop_cancel(p->app->loop, p->timer);
    /* In-flight answers end now, told to nobody: the modes are done. */
    p->fn = NULL;
    for (struct post_request *r = p->posts; r; r = r->next)
        r->write_fn = NULL, r->change_fn = NULL;
    fetch_free(p->app->fetch);
    p->app->fetch = NULL;
    while (p->posts) {
        struct post_request *r = p->posts;
        p->posts = r->next;
        free_post(r);
    }
    free(p->status);
    free(p->values);
    free(p);
}

void poller_on_round(struct poller *p, poller_round_fn fn, void *ud)
{
    p->fn = fn;
    p->ud = ud;
}

void poller_poll_now(struct poller *p)
{
    if (p->in_round)
        p->again = true;
    else
        schedule_round(p, 0);
}

void poller_pause(struct poller *p, bool paused)
{
    p->paused = paused;
    if (!paused)
        poller_poll_now(p);
}

size_t poller_rounds(const struct poller *p)
{
    return p->rounds;
}

/* ---- writes and changes ---- */

/* The first node of role that is up, else the first of role; -1: none. */
static int first_of_role(const struct model *m, const char *role)
{
    int first = -1;

    for (size_t i = 0; i < m->n_nodes; i++) {
        if (strcmp(model_node_role(&m->nodes[i]), role) != 0)
            continue;
        if (m->nodes[i].up)
            return (int)i;
        if (first < 0)
            first = (int)i;
    }
    return first;
}

int poller_target(const struct poller *p, const char *node, bool direct)
{
    const struct model *m = &p->app->model;
    const char *chosen = direct ? p->app->opt.proposer : p->app->opt.client;

    if (node)
        return node_index(m, node);
    if (chosen)
        return node_index(m, chosen);
    if (direct && m->leader[0])
        return node_index(m, m->leader);
    return first_of_role(m, direct ? "proposer" : "client");
}

static void unlink_post(struct poller *p, struct post_request *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        p->posts = r->next;
    if (r->next)
        r->next->prev = r->prev;
}

static void on_posted(void *ud, int status, const char *body, size_t len,
                      const char *err)
{
    struct post_request *r = ud;
    struct poller *p = r->p;
    struct model *m = &p->app->model;
    int64_t took = loop_now_ms() - r->started_ms;
    char reason[MODEL_TEXT_MAX], outcome[512];
    bool in_force = false;

    if (err) {
        transport_reason(err, took, reason, sizeof reason);
        status = 0;
        body = reason;
    }
    if (r->value)
        model_write_result(m, r->target, r->value, status, body, took,
                           wall_ms());
    else
        in_force = model_change_result(m, &r->change, r->target, status,
                                       body, took, wall_ms(), outcome,
                                       sizeof outcome);
    unlink_post(p, r);
    poller_poll_now(p);
    if (r->write_fn)
        r->write_fn(p->app, r->ud, status, body);
    if (r->change_fn)
        r->change_fn(p->app, r->ud, in_force, outcome);
    free_post(r);
}

/* POSTs body to path on node target for r (freed here on failure).
 * Returns 0, or -1 when the request cannot start. */
static int post(struct poller *p, int target, const char *path,
                const char *body, struct post_request *r)
{
    char url[URL_MAX];

    node_url(p, (size_t)target, path, url, sizeof url);
    r->p = p;
    r->started_ms = loop_now_ms();
    snprintf(r->target, sizeof r->target, "%s",
             p->app->model.nodes[target].ep.name);
    if (!body || fetch_request(p->app->fetch, "POST", url, body, strlen(body),
                               WRITE_TIMEOUT_MS, on_posted, r) != 0) {
        free_post(r);
        return -1;
    }
    r->next = p->posts;
    if (p->posts)
        p->posts->prev = r;
    p->posts = r;
    return 0;
}

int poller_write(struct poller *p, const char *node, bool direct,
                 const char *value, poller_write_fn fn, void *ud)
{
    int target = poller_target(p, node, direct);
    json_object *doc = NULL;
    struct post_request *r = NULL;
    int rc = -1;

    if (target < 0)
        return -1;
    if (!(doc = json_object_new_object()) ||
        json_object_object_add(doc, "value", json_object_new_string(value)) != 0 ||
        !(r = calloc(1, sizeof *r)) || !(r->value = strdup(value))) {
        if (r)
            free_post(r);
        goto cleanup;
    }
    r->write_fn = fn;
    r->ud = ud;
    rc = post(p, target, direct ? "/propose" : "/send",
              json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN), r);
cleanup:
    json_object_put(doc);
    return rc;
}

int poller_change(struct poller *p, const struct model_change *c,
                  poller_change_fn fn, void *ud)
{
    int target = poller_target(p, NULL, true);
    struct post_request *r;
    char *body;
    int rc;

    if (target < 0 || !(r = calloc(1, sizeof *r)))
        return -1;
    r->change = *c;
    r->change_fn = fn;
    r->ud = ud;
    body = model_change_body(c);
    rc = post(p, target, "/voters", body, r);
    free(body);
    return rc;
}

/* monitor.c -- paxos-top --monitor: the cluster as plain text, one table
 * per poll round like `top -b` (a header line, the acceptor set's line:
 * the configuration in force and the acceptors that do not vote, one row
 * per node, then the round's events), or with --json one JSON object per
 * round on one line.
 * No curses: it runs with no terminal. It stops after --duration seconds
 * (0: at Ctrl-C) or -n rounds, and exits 1 when the cluster had no
 * leader, or no quorum, during the whole run. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "loop.h"
#include "model.h"
#include "poller.h"

struct monitor {
    struct app *app;
    size_t ticks;
    size_t events_seen;         /* the model's events_next at the last tick */
    int64_t now_ms;             /* wall clock of the tick being printed */
    struct model_acceptor *acceptors;   /* the acceptor set at this tick */
    size_t n_acceptors;
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time of day, or with iso the full ISO 8601 local time. */
static void format_time(int64_t ms, bool iso, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&secs, &tm);
    strftime(out, size, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%H:%M:%S", &tm);
}

static bool has_ballot(const struct node_view *n)
{
    return strcmp(model_node_role(n), "proposer") == 0;
}

static bool has_promise(const struct node_view *n)
{
    return has_ballot(n) || strcmp(model_node_role(n), "acceptor") == 0;
}

/* ---- text ---- */

static const char *ballot_text(struct ballot b, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu32 ".%" PRIu32, b.round, b.node);
    return buf;
}

static void state_text(const struct monitor *mon, const struct node_view *n,
                       char *buf, size_t size)
{
    if (n->up)
        snprintf(buf, size, "up");
    else if (n->last_ok_ms > 0)
        snprintf(buf, size, "down %" PRId64 "s",
                 (mon->now_ms - n->last_ok_ms) / 1000);
    else
        snprintf(buf, size, "down");
}

static void accepted_text(const struct node_view *n, char *buf, size_t size)
{
    char ballot[24];

    if (!n->has_accepted)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%" PRIu64 ":%s:%.20s", n->accepted.slot,
                 ballot_text(n->accepted.ballot, ballot, sizeof ballot),
                 n->accepted.noop ? "(no-op)" : n->accepted.text);
}

/* Proposers and acceptors: the commit index; learners: applied; clients:
 * their writes. */
static void progress_text(const struct node_view *n, char *buf, size_t size)
{
    const char *role = model_node_role(n);

    if (!n->ever_up)
        snprintf(buf, size, "-");
    else if (strcmp(role, "learner") == 0)
        snprintf(buf, size, "%" PRIu64, n->applied);
    else if (strcmp(role, "client") == 0)
        snprintf(buf, size, "%" PRIu64 " ok %" PRIu64 " failed", n->writes_ok,
                 n->writes_failed);
    else
        snprintf(buf, size, "%" PRIu64, n->commit);
}

static int name_width(const struct model *m)
{
    int width = 4;

    for (size_t i = 0; i < m->n_nodes; i++) {
        int len = (int)strlen(m->nodes[i].ep.name);
        width = len > width ? len : width;
    }
    return width;
}

static void print_header(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    size_t last = (m->history_next + MODEL_HISTORY - 1) % MODEL_HISTORY;
    char when[16], ballot[24];

    format_time(mon->now_ms, false, when, sizeof when);
    printf("paxos-top %s  leader %s", when, m->leader[0] ? m->leader : "none");
    if (m->leader[0])
        printf(" (ballot %s)", ballot_text(m->leader_ballot, ballot,
                                           sizeof ballot));
    printf("  log %" PRIu64 "  writes/s %.1f  commit %.0f ms  %s "
           "%zu/%zu up (need %zu)%s\n", m->log_length, m->writes_per_s[last],
           m->latency_ms[last], model_quorum_of(m), m->acceptors_up,
           m->acceptors_total, m->quorum,
           m->acceptors_up >= m->quorum ? "" : " NO QUORUM");
}

/* Why an acceptor of the set does not vote now. */
static const char *not_voting_reason(const struct model *m,
                                     const struct model_acceptor *a)
{
    if (a->node < 0)
        return "not watched";
    if (a->voter && a->standing == STANDING_VOTER)
        return "voter, down";
    return model_standing_text(a->standing);
}

/* "config epoch 2 from slot 1025: acceptor1, ... (proposer1); coming:
 * ...; not voting: acceptor5 (waiting to be admitted)". */
static void print_config(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    char names[768];
    const char *sep = "";

    if (!m->config.epoch) {
        printf("config unknown: no node reports one\n");
        return;
    }
    model_config_names(&m->config, names, sizeof names);
    printf("config epoch %" PRIu64 " from slot %" PRIu64 ": %s (%s); coming:",
           m->config.epoch, m->config.first_slot, names, m->config_from);
    for (size_t k = 0; k < m->n_coming; k++) {
        model_config_names(&m->coming[k], names, sizeof names);
        printf("%s epoch %" PRIu64 " from slot %" PRIu64 ": %s", k ? ";" : "",
               m->coming[k].epoch, m->coming[k].first_slot, names);
    }
    printf("%s; not voting:", m->n_coming ? "" : " nothing");
    for (size_t k = 0; k < mon->n_acceptors; k++) {
        const struct model_acceptor *a = &mon->acceptors[k];
        if (model_acceptor_votes(m, a))
            continue;
        printf("%s %s (%s)", sep, a->name, not_voting_reason(m, a));
        sep = ",";
    }
    printf("%s\n", sep[0] ? "" : " none");
}

static void print_row(const struct monitor *mon, const struct node_view *n,
                      int width)
{
    const struct model *m = &mon->app->model;
    char address[MODEL_ADDR_MAX], state[32], ballot[24], promised[24];
    char accepted[80], progress[48], members[48], latency[24];
    const char *role = model_node_role(n);

    snprintf(address, sizeof address, "%s:%u", n->ep.host, n->ep.port);
    state_text(mon, n, state, sizeof state);
    snprintf(ballot, sizeof ballot, "-");
    snprintf(promised, sizeof promised, "-");
    if (n->ever_up && has_ballot(n))
        ballot_text(n->ballot, ballot, sizeof ballot);
    if (n->ever_up && has_promise(n))
        ballot_text(n->promised, promised, sizeof promised);
    accepted_text(n, accepted, sizeof accepted);
    progress_text(n, progress, sizeof progress);
    snprintf(members, sizeof members, n->ever_up ? "%zu/%zu/%zu" : "-",
             n->alive, n->suspect, n->dead);
    snprintf(latency, sizeof latency, n->up ? "%" PRId64 " ms" : "-",
             n->latency_ms);
    printf("%-*s %-8s %-21s %-9s %-1s %-7s %-8s %-26s %-16s %-8s %s%s%s\n",
           width, n->ep.name, role[0] ? role : "-", address, state,
           strcmp(n->ep.name, m->leader) == 0 ? "*" : "", ballot, promised,
           accepted, progress, members, latency, n->up ? "" : "  ",
           n->up ? "" : n->error);
}

/* The events recorded since the last tick (fewer than MODEL_EVENTS). */
static size_t new_events(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    size_t fresh = (m->events_next + MODEL_EVENTS - mon->events_seen) %
                   MODEL_EVENTS;

    return fresh < m->n_events ? fresh : m->n_events;
}

static void print_text_tick(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    int width = name_width(m);
    size_t fresh = new_events(mon);
    char when[16];

    print_header(mon);
    print_config(mon);
    printf("%-*s %-8s %-21s %-9s %-1s %-7s %-8s %-26s %-16s %-8s %s\n", width,
           "NAME", "ROLE", "ADDRESS", "STATE", "L", "BALLOT", "PROMISED",
           "ACCEPTED", "CHOSEN/APPLIED", "MEMBERS", "LATENCY");
    for (size_t i = 0; i < m->n_nodes; i++)
        print_row(mon, &m->nodes[i], width);
    for (size_t k = m->n_events - fresh; k < m->n_events; k++) {
        const struct model_event *e = model_event_at(m, k);
        format_time(e->at_ms, false, when, sizeof when);
        printf("event %s %s\n", when, e->text);
    }
    printf("\n");
}

/* ---- JSON ---- */

/* Adds key: value to o (value NULL: JSON null). */
static void put(json_object *o, const char *key, json_object *value)
{
    json_object_object_add(o, key, value);
}

static json_object *ballot_json(struct ballot b)
{
    json_object *o = json_object_new_object();

    put(o, "round", json_object_new_int64(b.round));
    put(o, "node", json_object_new_int64(b.node));
    return o;
}

static json_object *accepted_json(const struct node_view *n)
{
    json_object *o;

    if (!n->has_accepted)
        return NULL;
    o = json_object_new_object();
    put(o, "slot", json_object_new_uint64(n->accepted.slot));
    put(o, "ballot", ballot_json(n->accepted.ballot));
    if (n->accepted.noop)
        put(o, "noop", json_object_new_boolean(true));
    else
        put(o, "value", json_object_new_string(n->accepted.text));
    return o;
}

static json_object *members_json(const struct node_view *n)
{
    json_object *o = json_object_new_object();

    put(o, "alive", json_object_new_uint64(n->alive));
    put(o, "suspect", json_object_new_uint64(n->suspect));
    put(o, "dead", json_object_new_uint64(n->dead));
    return o;
}

static json_object *node_json(const struct monitor *mon,
                              const struct node_view *n)
{
    json_object *o = json_object_new_object();
    char address[MODEL_ADDR_MAX];

    snprintf(address, sizeof address, "%s:%u", n->ep.host, n->ep.port);
    put(o, "name", json_object_new_string(n->ep.name));
    put(o, "role", json_object_new_string(model_node_role(n)));
    put(o, "address", json_object_new_string(address));
    put(o, "up", json_object_new_boolean(n->up));
    if (!n->up) {
        put(o, "error", json_object_new_string(n->error));
        put(o, "down_for_s", n->last_ok_ms > 0 ? json_object_new_int64(
            (mon->now_ms - n->last_ok_ms) / 1000) : NULL);
    }
    put(o, "leader", json_object_new_boolean(
        strcmp(n->ep.name, mon->app->model.leader) == 0));
    put(o, "ballot", n->ever_up && has_ballot(n) ? ballot_json(n->ballot)
                                                 : NULL);
    put(o, "promised", n->ever_up && has_promise(n)
                           ? ballot_json(n->promised) : NULL);
    put(o, "accepted", accepted_json(n));
    put(o, "commit", json_object_new_uint64(n->commit));
    put(o, "applied", json_object_new_uint64(n->applied));
    put(o, "writes_ok", json_object_new_uint64(n->writes_ok));
    put(o, "writes_failed", json_object_new_uint64(n->writes_failed));
    put(o, "members", members_json(n));
    put(o, "latency_ms", n->up ? json_object_new_int64(n->latency_ms) : NULL);
    if (strcmp(model_node_role(n), "acceptor") == 0) {
        const struct model *m = &mon->app->model;
        put(o, "member", json_object_new_string(n->member));
        put(o, "admission", json_object_new_string(n->admission));
        put(o, "standing", json_object_new_string(model_standing_text(
            model_standing(m, (size_t)(n - m->nodes)))));
    }
    return o;
}

static json_object *names_json(const struct config_view *c)
{
    json_object *arr = json_object_new_array();

    for (size_t k = 0; k < c->n_voters; k++)
        json_object_array_add(arr, json_object_new_string(c->voters[k].name));
    return arr;
}

/* {"epoch","first_slot","from","voters":[{"name","id","member","up",
 * "votes"}],"coming":[{"epoch","first_slot","voters":[names]}],
 * "not_voting":[{"name","id","member","standing"}]}, or null. */
static json_object *config_json(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    json_object *o, *voters, *coming, *not_voting;

    if (!m->config.epoch)
        return NULL;
    o = json_object_new_object();
    voters = json_object_new_array();
    coming = json_object_new_array();
    not_voting = json_object_new_array();
    put(o, "epoch", json_object_new_uint64(m->config.epoch));
    put(o, "first_slot", json_object_new_uint64(m->config.first_slot));
    put(o, "from", json_object_new_string(m->config_from));
    for (size_t k = 0; k < mon->n_acceptors; k++) {
        const struct model_acceptor *a = &mon->acceptors[k];
        json_object *e = json_object_new_object();
        bool votes = model_acceptor_votes(m, a);
        put(e, "name", json_object_new_string(a->name));
        put(e, "id", json_object_new_uint64(a->id));
        put(e, "member", json_object_new_string(a->member));
        if (a->voter) {
            put(e, "up", json_object_new_boolean(a->node >= 0 &&
                                                 m->nodes[a->node].up));
            put(e, "votes", json_object_new_boolean(votes));
            json_object_array_add(voters, votes ? e : json_object_get(e));
        }
        if (!votes) {
            put(e, "standing", json_object_new_string(
                not_voting_reason(m, a)));
            json_object_array_add(not_voting, e);
        }
    }
    for (size_t k = 0; k < m->n_coming; k++) {
        json_object *c = json_object_new_object();
        put(c, "epoch", json_object_new_uint64(m->coming[k].epoch));
        put(c, "first_slot", json_object_new_uint64(m->coming[k].first_slot));
        put(c, "voters", names_json(&m->coming[k]));
        json_object_array_add(coming, c);
    }
    put(o, "voters", voters);
    put(o, "coming", coming);
    put(o, "not_voting", not_voting);
    return o;
}

static json_object *quorum_json(const struct model *m)
{
    json_object *o = json_object_new_object();

    put(o, "acceptors_up", json_object_new_uint64(m->acceptors_up));
    put(o, "acceptors", json_object_new_uint64(m->acceptors_total));
    put(o, "need", json_object_new_uint64(m->quorum));
    put(o, "ok", json_object_new_boolean(m->acceptors_up >= m->quorum));
    return o;
}

static json_object *events_json(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    json_object *arr = json_object_new_array();
    size_t fresh = new_events(mon);

    for (size_t k = m->n_events - fresh; k < m->n_events; k++) {
        const struct model_event *e = model_event_at(m, k);
        json_object *o = json_object_new_object();
        put(o, "at_ms", json_object_new_int64(e->at_ms));
        put(o, "text", json_object_new_string(e->text));
        json_object_array_add(arr, o);
    }
    return arr;
}

static void print_json_tick(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    size_t last = (m->history_next + MODEL_HISTORY - 1) % MODEL_HISTORY;
    json_object *tick = json_object_new_object();
    json_object *nodes = json_object_new_array();
    char when[40];

    format_time(mon->now_ms, true, when, sizeof when);
    put(tick, "time", json_object_new_string(when));
    put(tick, "at_ms", json_object_new_int64(mon->now_ms));
    put(tick, "tick", json_object_new_uint64(mon->ticks));
    put(tick, "leader", m->leader[0] ? json_object_new_string(m->leader)
                                     : NULL);
    put(tick, "ballot", m->leader[0] ? ballot_json(m->leader_ballot) : NULL);
    put(tick, "log_length", json_object_new_uint64(m->log_length));
    put(tick, "writes_per_s", json_object_new_double(m->writes_per_s[last]));
    put(tick, "commit_latency_ms",
        json_object_new_double(m->latency_ms[last]));
    put(tick, "quorum", quorum_json(m));
    put(tick, "config", config_json(mon));
    for (size_t i = 0; i < m->n_nodes; i++)
        json_object_array_add(nodes, node_json(mon, &m->nodes[i]));
    put(tick, "nodes", nodes);
    put(tick, "events", events_json(mon));
    puts(json_object_to_json_string_ext(tick, JSON_C_TO_STRING_PLAIN));
    json_object_put(tick);
}

/* ---- running ---- */

static void on_tick(struct app *app, void *ud)
{
    struct monitor *mon = ud;

    mon->ticks++;
    mon->now_ms = wall_ms();
    mon->n_acceptors = model_acceptors(&app->model, mon->acceptors,
                                       MODEL_ACCEPTORS_MAX);
    if (app->opt.json)
        print_json_tick(mon);
    else
        print_text_tick(mon);
    mon->events_seen = app->model.events_next;
    if (fflush(stdout) != 0 || ferror(stdout) ||
        (app->opt.iterations > 0 && mon->ticks >= (size_t)app->opt.iterations))
        loop_stop(app->loop);
}

static void on_duration(struct loop *l, void *ud)
{
    loop_stop(l);
}

/* Why the run fails: no leader or no quorum at any tick. Returns the code. */
static int verdict(const struct monitor *mon)
{
    const struct model *m = &mon->app->model;
    int rc = 0;

    if (mon->ticks == 0) {
        fprintf(stderr, "paxos-top: stopped before the first poll ended\n");
        return 1;
    }
    if (!m->had_leader) {
        fprintf(stderr, "paxos-top: no leader during the whole run (%zu polls): "
                "no proposer that answered reported is_leader\n", mon->ticks);
        rc = 1;
    }
    if (!m->had_quorum) {
        fprintf(stderr, "paxos-top: no quorum during the whole run (%zu polls): "
                "acceptors %zu/%zu up, %zu needed\n", mon->ticks,
                m->acceptors_up, m->acceptors_total, m->quorum);
        rc = 1;
    }
    return rc;
}

int monitor_run(struct app *app)
{
    struct monitor mon = { .app = app, .events_seen = app->model.events_next };
    uint64_t timer = 0;
    int rc;

    if (!(mon.acceptors = calloc(MODEL_ACCEPTORS_MAX,
                                 sizeof *mon.acceptors))) {
        fprintf(stderr, "paxos-top: out of memory\n");
        return 1;
    }
    poller_on_round(app->poller, on_tick, &mon);
    if (app->opt.duration_s > 0)
        timer = loop_timer(app->loop, (int64_t)app->opt.duration_s * 1000,
                           on_duration, NULL);
    loop_run(app->loop);
    if (timer)
        loop_cancel(app->loop, timer);
    poller_on_round(app->poller, NULL, NULL);
    rc = verdict(&mon);
    free(mon.acceptors);
    return rc;
}

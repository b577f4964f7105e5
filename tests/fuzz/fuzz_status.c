/* fuzz_status.c -- libFuzzer harness for paxos-top's model (tui/model.c):
 * model_status on /status answers and model_values on /get-values pages.
 *
 * Input: answers separated by the byte 0x1e (a JSON text never holds a raw
 * control character). Each answer's first byte says what it is: bits 0-2
 * the node (of eight: two proposers, three acceptors, two learners, a
 * client), bits 3-4 the kind (0: /status with HTTP 200, 1: a /get-values
 * page, 2: /status with HTTP 503, 3: a transport failure, status 0); the
 * rest is the body. Every answer is followed by a model_tick one second
 * later, as the poller does once per round. At the end model_rows runs for
 * every column, both directions and a few filters, and model_free must
 * release everything (ASan's leak check).
 * Checks: row orders are in range and without repeats, all nodes when
 * there is no filter; the learned log is sorted by slot, unique and
 * without slot 0; every text the views read is NUL-terminated within its
 * array; counts stay within their arrays; a node that is up has a role;
 * the leader is "" or a node up that answers as the leading proposer;
 * the quorum figures agree after a tick; the configurations a node and
 * the model hold stay within their arrays, and the acceptor set lists
 * each acceptor once, with a standing and a node index that exist. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define N_EPS 8
#define SEPARATOR 0x1e
#define START_MS INT64_C(1700000000000)

static const char *const names[N_EPS] = {
    "proposer1", "proposer2", "acceptor1", "acceptor2", "acceptor3",
    "learner1", "learner2", "client1",
};
static const char *const filters[] = { NULL, "", "up", "PROP", "leader", "9", "down" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_status: %s\n", what);
    abort();
}

#define TERMINATED(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

static void check_value(const struct value_view *v)
{
    if (!TERMINATED(v->text))
        fail("a value's text is not terminated");
}

static void check_config(const struct config_view *c)
{
    if (c->n_voters > MODEL_VOTERS)
        fail("a configuration's voters exceed their array");
    for (size_t k = 0; k < c->n_voters; k++)
        if (!TERMINATED(c->voters[k].name) ||
            !TERMINATED(c->voters[k].member) ||
            !TERMINATED(c->voters[k].address))
            fail("a voter's text is not terminated");
}

static void check_node(const struct node_view *n)
{
    if (!TERMINATED(n->role) || !TERMINATED(n->state) || !TERMINATED(n->error) ||
        !TERMINATED(n->leader_name) || !TERMINATED(n->member) ||
        !TERMINATED(n->cluster) || !TERMINATED(n->admission))
        fail("a node's text is not terminated");
    if (n->n_configs > MODEL_CONFIGS)
        fail("a node's configurations exceed their array");
    for (size_t k = 0; k < n->n_configs; k++)
        check_config(&n->configs[k]);
    if (n->up && (!n->role[0] || !n->ever_up))
        fail("a node is up without a role");
    if (n->n_recent > MODEL_RECENT || (n->n_members && !n->members))
        fail("a node's counts exceed its arrays");
    for (size_t k = 0; k < n->n_recent; k++)
        check_value(&n->recent[k]);
    check_value(&n->accepted);
    for (size_t k = 0; k < n->n_members; k++)
        if (!TERMINATED(n->members[k].name) || !TERMINATED(n->members[k].state))
            fail("a member's text is not terminated");
}

static bool leading_proposer(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        const struct node_view *n = &m->nodes[i];
        if (strcmp(n->ep.name, name) == 0)
            return n->up && n->is_leader && strcmp(model_node_role(n), "proposer") == 0;
    }
    return false;
}

static void check_acceptors(const struct model *m)
{
    static struct model_acceptor rows[MODEL_ACCEPTORS_MAX];
    size_t n = model_acceptors(m, rows, MODEL_ACCEPTORS_MAX);

    check_config(&m->config);
    if (m->n_coming >= MODEL_CONFIGS || !TERMINATED(m->config_from))
        fail("the model's configurations exceed their array");
    for (size_t k = 0; k < m->n_coming; k++)
        check_config(&m->coming[k]);
    for (size_t i = 0; i < m->n_nodes; i++)
        if (model_standing(m, i) > STANDING_NOT_VOTER)
            fail("a standing out of range");
    for (size_t k = 0; k < n; k++) {
        if (rows[k].node >= (int)m->n_nodes || !TERMINATED(rows[k].name) ||
            !TERMINATED(rows[k].member) || !TERMINATED(rows[k].address) ||
            !model_standing_text(rows[k].standing))
            fail("an acceptor row is out of range");
        for (size_t j = 0; j < k; j++)
            if ((rows[j].id && rows[j].id == rows[k].id) ||
                strcmp(rows[j].name, rows[k].name) == 0)
                fail("an acceptor is listed twice");
        (void)model_acceptor_votes(m, &rows[k]);
    }
}

static void check_model(const struct model *m)
{
    size_t order[N_EPS];

    check_acceptors(m);

    for (size_t i = 0; i < m->n_nodes; i++) {
        check_node(&m->nodes[i]);
        if (model_values_from(m, i) < 1)
            fail("values asked from slot 0");
    }
    if (m->log_len > m->log_cap)
        fail("log longer than its array");
    for (size_t k = 0; k < m->log_len; k++) {
        if (m->log[k].slot == 0 || (k > 0 && m->log[k - 1].slot >= m->log[k].slot))
            fail("the learned log is not sorted by slot, unique and from 1");
        if (!TERMINATED(m->log[k].text))
            fail("a log text is not terminated");
    }
    if (m->n_events > MODEL_EVENTS || m->history_len > MODEL_HISTORY)
        fail("ring counts out of range");
    for (size_t k = 0; k < m->n_events; k++)
        if (!TERMINATED(model_event_at(m, k)->text))
            fail("an event's text is not terminated");
    if (m->history_len > 0 && (m->acceptors_up > m->acceptors_total ||
                               m->quorum != m->acceptors_total / 2 + 1))
        fail("quorum figures disagree");
    if (!TERMINATED(m->leader))
        fail("the leader's name is not terminated");
    if (m->leader[0] && !leading_proposer(m, m->leader))
        fail("the leader is not a leading proposer that is up");

    for (int col = 0; col < COL_COUNT; col++)
        for (int desc = 0; desc < 2; desc++)
            for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
                bool seen[N_EPS] = { false };
                size_t n = model_rows(m, (enum model_column)col, desc, filters[f], order);
                if (n > m->n_nodes || (!filters[f] && n != m->n_nodes))
                    fail("model_rows returned a wrong count");
                for (size_t k = 0; k < n; k++) {
                    if (order[k] >= m->n_nodes || seen[order[k]])
                        fail("model_rows returned a bad order");
                    seen[order[k]] = true;
                }
            }
}

/* Feeds one answer: its first byte says which node and what kind. */
static void feed(struct model *m, const uint8_t *p, size_t len, int64_t now)
{
    size_t node = p[0] & 7;
    const char *body = (const char *)p + 1;

    switch ((p[0] >> 3) & 3) {
    case 0:
        model_status(m, node, 200, body, len - 1, 3, now);
        break;
    case 1:
        model_values(m, node, body, len - 1);
        break;
    case 2:
        model_status(m, node, 503, body, len - 1, 3, now);
        break;
    default:
        model_status(m, node, 0, body, len - 1, 3, now);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct endpoint eps[N_EPS];
    struct model m;
    int64_t now = START_MS;
    uint8_t *text = malloc(size + 1);     /* bodies are NUL-terminated */

    if (!text)
        fail("out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    memset(eps, 0, sizeof eps);
    for (size_t i = 0; i < N_EPS; i++) {
        snprintf(eps[i].name, sizeof eps[i].name, "%s", names[i]);
        snprintf(eps[i].host, sizeof eps[i].host, "10.0.0.%zu", i + 1);
        eps[i].port = (uint16_t)(3001 + i);
    }
    if (model_init(&m, eps, N_EPS) != 0)
        fail("model_init failed");

    for (size_t start = 0; start < size;) {
        uint8_t *end = memchr(text + start, SEPARATOR, size - start);
        size_t len = end ? (size_t)(end - text) - start : size - start;
        if (end)
            *end = '\0';
        if (len > 0)
            feed(&m, text + start, len, now);
        now += 1000;
        model_tick(&m, now);
        start += len + 1;
    }
    check_model(&m);
    model_free(&m);
    free(text);
    return 0;
}

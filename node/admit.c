/* admit.c -- an acceptor's admission on HTTP. Until it votes, it asks the
 * other acceptors who they are (GET /identity) and the learners how far
 * their logs reach (an empty GET /learned page) every ADMIT_ASK_MS, hands
 * their answers to the admission rules (core/admission.h), and writes
 * what those decide to its write-ahead file. The acceptors asked are the
 * founding acceptors of SEED_NODES, every voter of the configurations it
 * knows and every acceptor gossip knows of; the learners, those of
 * SEED_NODES. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "core/admission.h"
#include "gossip.h"
#include "log.h"
#include "net/codec.h"
#include "role_acceptor.h"

#define ADMIT_ASK_MS 200

/* One acceptor's answer, with room for the configurations it names.
 * report.chain and report.founding stay NULL here (the array moves as it
 * grows): admit_decide() points them at chain and founding. */
struct admit_answer {
    struct identity_report report;
    bool admitted;                  /* it named its configurations */
    struct voters_chain chain;
    struct voters founding;
};

struct admit {
    struct node *node;
    struct acceptor_node *an;
    struct node_info founders[VOTERS_MAX];  /* by id: the first founds */
    size_t n_founders;
    struct admit_answer *answers;   /* this round's */
    size_t n_answers, cap_answers;
    size_t outstanding;             /* questions not yet answered */
    struct learners_report learners;    /* this round's */
    int64_t next_round;
    enum admission_verdict told;    /* the last verdict logged */
    struct admission decided;       /* scratch: large */
};

struct admit_question {
    struct admit *ad;
    uint32_t to;
};

static int admit_by_id(const void *x, const void *y)
{
    const struct node_info *a = x, *b = y;

    return (a->id > b->id) - (a->id < b->id);
}

/* The founding acceptors: the acceptor set of SEED_NODES, by id. */
static void admit_find_founders(struct admit *ad, const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_acceptors && i < VOTERS_MAX; i++)
        ad->founders[ad->n_founders++] = *config_node(cfg, cfg->acceptors[i]);
    qsort(ad->founders, ad->n_founders, sizeof(ad->founders[0]), admit_by_id);
}

int admit_start(struct node *n, struct acceptor_node *an)
{
    struct admit *ad = calloc(1, sizeof(*ad));

    if (!ad)
        return -1;
    ad->node = n;
    ad->an = an;
    ad->told = ADMISSION_ASK_AGAIN;
    admit_find_founders(ad, n->cfg);
    an->admit = ad;
    return 0;
}

void admit_stop(struct acceptor_node *an)
{
    if (!an->admit)
        return;
    free(an->admit->answers);
    free(an->admit);
    an->admit = NULL;
}

const char *admit_state(const struct acceptor_node *an)
{
    const struct acceptor_identity *me = &an->a.me;

    if (me->active)
        return "active";
    if (me->cluster[0])
        return "joining";
    return an->admit && an->admit->told == ADMISSION_NOT_NAMED ? "waiting"
                                                               : "new";
}

/* ---- deciding ---- */

static void admit_tell(struct admit *ad, enum admission_verdict verdict)
{
    const struct acceptor *a = &ad->an->a;
    const struct identity_report *r = ad->n_answers ? &ad->answers[0].report
                                                    : NULL;

    if (verdict == ad->told)
        return;
    ad->told = verdict;
    if (verdict != ADMISSION_NOT_NAMED)
        return;
    for (size_t i = 0; i < ad->n_answers && r && !r->cluster[0]; i++)
        r = &ad->answers[i].report;
    if (!r || !r->cluster[0])
        log_warn("not voting: no founding acceptor belongs to a cluster, but "
                 "the learners' logs reach slot %llu, so the cluster lives "
                 "on without them; this acceptor (member identity %s) "
                 "waits to be admitted like a new one, and founds nothing "
                 "(to start a new cluster instead, empty the learners' data "
                 "directories too)",
                 (unsigned long long)ad->learners.applied, a->me.member);
    else
        log_warn("not voting: cluster %s exists and no configuration names this "
                 "acceptor's member identity %s (its data directory is new: a "
                 "lost disk, a new claim). Admit it with `paxos-client.sh "
                 "member-add %s` on Kubernetes, paxos-top's configuration view "
                 "(c, then a), or POST /voters {\"add\":\"%s\"} on a proposer",
                 r ? r->cluster : "?", a->me.member, ad->node->cfg->name,
                 ad->node->cfg->name);
}

/* Every question of the round is answered (or failed): decide. */
static void admit_decide(struct admit *ad)
{
    struct acceptor_node *an = ad->an;
    struct acceptor *a = &an->a;
    struct identity_report *reports = NULL;
    size_t n = ad->n_answers;

    if (!(reports = calloc(n + 1, sizeof(*reports))))
        return;
    for (size_t i = 0; i < n; i++) {
        const struct admit_answer *x = &ad->answers[i];
        reports[i] = x->report;
        if (x->admitted) {
            reports[i].chain = &x->chain;
            reports[i].founding = &x->founding;
        }
    }
    if (!a->me.cluster[0]) {
        admission_decide(ad->node->self, &a->me, ad->founders,
                         ad->n_founders, reports, n, &ad->learners,
                         &ad->decided);
        admit_tell(ad, ad->decided.verdict);
        if (acceptor_admit(a, &ad->decided, &an->ready) < 0)
            abort();
        acceptor_persist(an);
        if (a->me.cluster[0])
            ad->next_round = 0;     /* ask again at once: active yet? */
        if (ad->decided.verdict == ADMISSION_FOUND)
            log_info("founded cluster %s: %zu founding voters", a->me.cluster,
                     a->founding.n);
        else if (ad->decided.verdict == ADMISSION_JOIN)
            log_info("joined cluster %s (configuration epoch %llu)%s",
                     a->me.cluster,
                     (unsigned long long)chain_last(&a->chain)->epoch,
                     a->me.active ? ": voting" : "");
    } else if (!a->me.active &&
               admission_quorum_recorded(&a->founding, &a->me,
                                         ad->node->cfg->id, reports, n)) {
        if (acceptor_activate(a, &an->ready) < 0)
            abort();
        acceptor_persist(an);
        log_info("a quorum of the founding voters recorded cluster %s: "
                 "voting", a->me.cluster);
    }
    free(reports);
}

static void admit_on_answer(void *ud, int status, const char *body,
                            size_t len, const char *err)
{
    struct admit_question *q = ud;
    struct admit *ad = q->ad;
    struct admit_answer *x;
    struct msg m;
    char why[200];

    ad->outstanding--;
    if (status == 200 &&
        msg_decode(MSG_IDENTITY, body, len, ad->node->cfg->max_value, &m, why,
                   sizeof(why)) == 0) {
        if (array_reserve(&ad->answers, &ad->cap_answers,
                          ad->n_answers + 1) == 0) {
            x = &ad->answers[ad->n_answers++];
            memset(x, 0, sizeof(*x));
            x->report.id = q->to;
            memcpy(x->report.member, m.member, sizeof x->report.member);
            memcpy(x->report.cluster, m.cluster, sizeof x->report.cluster);
            x->report.commit = m.commit;
            if (m.chain && m.founding && m.cluster[0]) {
                x->chain = *m.chain;
                x->founding = *m.founding;
                x->admitted = true;
            }
        }
        msg_free(&m);
    } else {
        log_debug("identity of node %u: %d %s", (unsigned)q->to, status,
                  status ? body : err);
    }
    free(q);
    if (!ad->outstanding)
        admit_decide(ad);
}

/* A learner's empty page of /learned: how far its log reaches. */
static void admit_on_log(void *ud, int status, const char *body, size_t len,
                         const char *err)
{
    struct admit_question *q = ud;
    struct admit *ad = q->ad;
    struct msg m;
    char why[200];

    ad->outstanding--;
    if (status == 200 &&
        msg_decode(MSG_LEARNED, body, len, ad->node->cfg->max_value, &m, why,
                   sizeof(why)) == 0) {
        ad->learners.answered++;
        if (m.commit > ad->learners.applied)
            ad->learners.applied = m.commit;
        msg_free(&m);
    } else {
        log_debug("log of learner %u: %d %s", (unsigned)q->to, status,
                  status ? body : err);
    }
    free(q);
    if (!ad->outstanding)
        admit_decide(ad);
}

/* ---- asking ---- */

/* Asks node to (path), its answer to fn. */
static void admit_question(struct admit *ad, const struct node_info *to,
                           const char *path, httpc_done_fn fn)
{
    struct admit_question *q = malloc(sizeof(*q));

    if (!q)
        return;
    *q = (struct admit_question){ ad, to->id };
    ad->outstanding++;
    if (peer_ask(ad->node->peer, to, path, PEER_IDENTITY_MS, fn, q) < 0) {
        ad->outstanding--;
        free(q);
    }
}

static bool admit_listed(const struct node_info *list, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id)
            return true;
    return false;
}

/* Adds the voters of v to the list of those to ask. */
static void admit_add_voters(struct node_info *to, size_t *n,
                             const struct voters *v)
{
    for (size_t i = 0; i < v->n && *n < 3 * VOTERS_MAX; i++)
        if (!admit_listed(to, *n, v->v[i].node.id))
            to[(*n)++] = v->v[i].node;
}

/* Adds the acceptors gossip knows of (spares outside SEED_NODES, voters
 * of configurations this one has not heard of): when every founding
 * acceptor was replaced, they are the ones that know the cluster. */
static void admit_add_known(struct admit *ad, struct node_info *to, size_t *n)
{
    struct node_info known[2 * VOTERS_MAX];
    size_t n_known = gossip_nodes(ad->node->gossip, ROLE_ACCEPTOR, known,
                                  sizeof known / sizeof known[0]);

    for (size_t i = 0; i < n_known && *n < 3 * VOTERS_MAX; i++)
        if (!admit_listed(to, *n, known[i].id))
            to[(*n)++] = known[i];
}

static void admit_ask(struct admit *ad)
{
    struct node *n = ad->node;
    const struct acceptor *a = &ad->an->a;
    struct node_info *to = calloc(3 * VOTERS_MAX, sizeof(*to));
    size_t n_to = 0;

    if (!to)
        return;
    for (size_t i = 0; i < ad->n_founders; i++)
        to[n_to++] = ad->founders[i];
    admit_add_voters(to, &n_to, &a->founding);
    for (size_t i = 0; i < a->chain.n; i++)
        admit_add_voters(to, &n_to, &a->chain.c[i]);
    admit_add_known(ad, to, &n_to);
    ad->n_answers = 0;
    ad->learners = (struct learners_report){ 0 };
    /* counted before any answer can come back */
    for (size_t i = 0; i < n->cfg->n_nodes; i++)
        if (n->cfg->nodes[i].role == ROLE_LEARNER)
            ad->learners.configured++;
    for (size_t i = 0; i < n_to; i++)
        if (to[i].id != n->cfg->id)
            admit_question(ad, &to[i], "/identity", admit_on_answer);
    for (size_t i = 0; i < n->cfg->n_nodes; i++)
        if (n->cfg->nodes[i].role == ROLE_LEARNER)
            admit_question(ad, &n->cfg->nodes[i],
                           "/learned?from=9223372036854775807", admit_on_log);
    free(to);
    if (!ad->outstanding)
        admit_decide(ad);       /* nobody else: a cluster of one */
}

void admit_tick(struct node *n, struct acceptor_node *an, int64_t now)
{
    struct admit *ad = an->admit;

    if (an->a.me.active || ad->outstanding || now < ad->next_round)
        return;
    ad->next_round = now + ADMIT_ASK_MS;
    admit_ask(ad);
}

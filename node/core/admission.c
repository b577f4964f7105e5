/* admission.c -- founding a cluster, joining it, and when an acceptor may
 * vote (see admission.h). */
#include "core/admission.h"

#include <string.h>

/* The admitted report with the highest commit: the newest configuration
 * any of them knows. NULL when none is admitted. */
static const struct identity_report *
admission_newest(const struct identity_report *reports, size_t n)
{
    const struct identity_report *best = NULL;

    for (size_t i = 0; i < n; i++)
        if (reports[i].cluster[0] && reports[i].config &&
            (!best || reports[i].commit > best->commit ||
             (reports[i].commit == best->commit &&
              reports[i].config->epoch > best->config->epoch)))
            best = &reports[i];
    return best;
}

static const struct identity_report *
admission_report_of(const struct identity_report *reports, size_t n,
                    uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (reports[i].id == id)
            return &reports[i];
    return NULL;
}

/* The founding configuration, when every founding acceptor but self
 * answered with its member identity (none admitted). */
static bool admission_founding(const struct node_info *self,
                               const struct acceptor_identity *me,
                               const struct node_info *founders,
                               size_t n_founders,
                               const struct identity_report *reports,
                               size_t n, struct voters *out)
{
    memset(out, 0, sizeof(*out));
    out->epoch = 1;
    out->first_slot = 1;
    for (size_t i = 0; i < n_founders && i < VOTERS_MAX; i++) {
        const struct identity_report *r =
            admission_report_of(reports, n, founders[i].id);
        struct voter *v = &out->v[out->n++];
        v->node = founders[i];
        if (founders[i].id == self->id)
            memcpy(v->member, me->member, sizeof v->member);
        else if (r && r->member[0])
            memcpy(v->member, r->member, sizeof v->member);
        else
            return false;
    }
    return out->n == n_founders;
}

void admission_decide(const struct node_info *self,
                      const struct acceptor_identity *me,
                      const struct node_info *founders, size_t n_founders,
                      const struct identity_report *reports, size_t n,
                      struct admission *out)
{
    const struct identity_report *newest = admission_newest(reports, n);

    memset(out, 0, sizeof(*out));
    out->verdict = ADMISSION_ASK_AGAIN;
    if (newest) {
        if (voters_find(newest->config, self->id, me->member) < 0) {
            out->verdict = ADMISSION_NOT_NAMED;
            return;
        }
        out->verdict = ADMISSION_JOIN;
        memcpy(out->cluster, newest->cluster, sizeof out->cluster);
        out->commit = newest->commit;
        out->config = *newest->config;
        return;
    }
    if (!n_founders || founders[0].id != self->id ||
        !admission_founding(self, me, founders, n_founders, reports, n,
                            &out->config))
        return;
    out->verdict = ADMISSION_FOUND;
    voters_cluster_id(&out->config, out->cluster);
}

bool admission_quorum_recorded(const struct voters *founding,
                               const struct acceptor_identity *me,
                               uint32_t self_id,
                               const struct identity_report *reports,
                               size_t n)
{
    size_t recorded = 0;

    for (size_t i = 0; i < founding->n; i++) {
        const struct voter *v = &founding->v[i];
        const struct identity_report *r =
            admission_report_of(reports, n, v->node.id);
        if (v->node.id == self_id)
            recorded += strcmp(v->member, me->member) == 0 &&
                        strcmp(me->cluster, "") != 0;
        else
            recorded += r && strcmp(r->member, v->member) == 0 &&
                        strcmp(r->cluster, me->cluster) == 0;
    }
    return recorded >= voters_quorum(founding);
}

/* admission.c -- founding a cluster, joining it, and when an acceptor may
 * vote (see admission.h). */
#include "core/admission.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonread.h"

/* The admitted report with the highest commit: the newest configuration
 * any of them knows. NULL when none is admitted. */
static const struct identity_report *
admission_newest(const struct identity_report *reports, size_t n)
{
    const struct identity_report *best = NULL;

    for (size_t i = 0; i < n; i++)
        if (reports[i].cluster[0] && reports[i].chain &&
            reports[i].chain->n &&
            (!best || reports[i].commit > best->commit ||
             (reports[i].commit == best->commit &&
              chain_newer(reports[i].chain, best->chain))))
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
                      const struct learners_report *learners,
                      struct admission *out)
{
    const struct identity_report *newest = admission_newest(reports, n);

    memset(out, 0, sizeof(*out));
    out->verdict = ADMISSION_ASK_AGAIN;
    if (newest) {
        if (!chain_names(newest->chain, self->id, me->member)) {
            out->verdict = ADMISSION_NOT_NAMED;
            return;
        }
        out->verdict = ADMISSION_JOIN;
        memcpy(out->cluster, newest->cluster, sizeof out->cluster);
        out->commit = newest->commit;
        out->chain = *newest->chain;
        out->founding = newest->founding ? *newest->founding
                                         : newest->chain->c[0];
        return;
    }
    if (learners->applied) {
        out->verdict = ADMISSION_NOT_NAMED;
        return;
    }
    if (!n_founders || founders[0].id != self->id ||
        learners->answered < learners->configured ||
        !admission_founding(self, me, founders, n_founders, reports, n,
                            &out->founding))
        return;
    out->verdict = ADMISSION_FOUND;
    chain_start(&out->chain, &out->founding);
    voters_cluster_id(&out->founding, out->cluster);
}

/* ---- in the data directory ---- */

char *admission_identity_encode(const struct acceptor_identity *me,
                                const struct voters *founding)
{
    struct json_object *o = json_object_new_object();
    char *text;

    json_object_object_add(o, "member", json_object_new_string(me->member));
    json_object_object_add(o, "cluster", json_object_new_string(me->cluster));
    json_object_object_add(o, "active", json_object_new_boolean(me->active));
    if (me->cluster[0])
        json_object_object_add(o, "founding", voters_json(founding));
    text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

/* Copies a string field of exactly len hex digits ("" when empty_ok). */
static int admission_read_id(struct jr *d, json_object *o, const char *key,
                             size_t len, bool empty_ok, char *out)
{
    const struct jr_path field = { NULL, key, 0 };
    char *s = NULL;
    int rc = 0;

    if (jr_string(d, jr_member(o, &field), &field, len, &s) < 0)
        return -1;
    if (!(empty_ok && !s[0]) &&
        (strlen(s) != len || strspn(s, "0123456789abcdef") != len))
        rc = jr_fail_field(d, &field, "must be %zu lowercase hex digits", len);
    else
        memcpy(out, s, strlen(s) + 1);
    free(s);
    return rc;
}

int admission_identity_decode(const char *text, size_t len,
                              struct acceptor_identity *me,
                              struct voters *founding, char *err,
                              size_t errlen)
{
    const struct jr_path active = { NULL, "active", 0 },
                         found = { NULL, "founding", 0 };
    struct jr d = { err, errlen };
    json_object *root = NULL;
    int rc = -1;

    memset(me, 0, sizeof(*me));
    memset(founding, 0, sizeof(*founding));
    if (jr_parse(&d, text, len, 5, &root) < 0 ||
        admission_read_id(&d, root, "member", MEMBER_ID_LEN, false,
                          me->member) < 0 ||
        admission_read_id(&d, root, "cluster", CLUSTER_ID_LEN, true,
                          me->cluster) < 0 ||
        jr_bool(&d, root, &active, &me->active) < 0)
        goto out;
    if (me->cluster[0] &&
        voters_read(&d, jr_member(root, &found), &found, founding) < 0)
        goto out;
    rc = 0;
out:
    json_object_put(root);
    return rc;
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

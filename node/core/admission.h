/* admission.h -- whether an acceptor may vote, with no I/O.
 *
 * An acceptor's data directory holds its identity: a member identity,
 * made when the directory is new, and once admitted the cluster's
 * identity. It votes only when admitted and active; an acceptor that
 * finds its directory empty (a lost disk, a new claim) makes a new member
 * identity, so nothing it promised or accepted under the old one is ever
 * counted again.
 *
 * A new acceptor asks the others for their identities and decides:
 *  - some are admitted and their newest configurations name this node
 *    under this member identity: it joins that cluster;
 *  - some are admitted but none names it: the cluster exists without it,
 *    and it waits to be admitted (a configuration change, chosen in the
 *    log, that names its new identity);
 *  - none is admitted but a learner has applied slots: a log exists, so
 *    the cluster was founded and lives on without the founding acceptors
 *    (every one of them replaced, then started on a new disk): it waits
 *    to be admitted;
 *  - none is admitted, this acceptor is the founder (the lowest id of the
 *    founding acceptors, SEED_NODES's), every other founding acceptor
 *    answered and every learner of SEED_NODES answered that it applied
 *    nothing: it founds the cluster, the founding configuration naming
 *    each founding acceptor's member identity;
 *  - otherwise it waits and asks again.
 * Only the founder founds, and only when every founding acceptor is new
 * and no learner holds a log, so there is one founding configuration. A founding acceptor becomes
 * active (votes) once a quorum of the founding voters recorded the
 * cluster: a founding voter that loses its disk after that finds the
 * cluster and waits. An acceptor admitted by a configuration change is
 * active at once: the cluster lives already. */
#ifndef PAXOS_ADMISSION_H
#define PAXOS_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/voters.h"

/* What an acceptor keeps of itself in its data directory. */
struct acceptor_identity {
    char member[MEMBER_ID_LEN + 1];
    char cluster[CLUSTER_ID_LEN + 1];   /* "": not admitted */
    bool active;                        /* votes */
};

/* What another acceptor said of itself (GET /identity). */
struct identity_report {
    uint32_t id;
    char member[MEMBER_ID_LEN + 1];
    char cluster[CLUSTER_ID_LEN + 1];   /* "": not admitted */
    uint64_t commit;                    /* with the configurations */
    const struct voters_chain *chain;   /* after commit; NULL when not
                                           admitted */
    const struct voters *founding;      /* the cluster's first; NULL when
                                           not admitted */
};

/* What the learners of SEED_NODES said of their logs this round. */
struct learners_report {
    size_t configured, answered;
    uint64_t applied;                   /* the highest applied index */
};

enum admission_verdict {
    ADMISSION_ASK_AGAIN,        /* nothing to decide yet */
    ADMISSION_FOUND,            /* found the cluster: chain, cluster */
    ADMISSION_JOIN,             /* join: chain (after commit), cluster */
    ADMISSION_NOT_NAMED,        /* the cluster exists without this member:
                                   wait to be admitted */
};

struct admission {
    enum admission_verdict verdict;
    char cluster[CLUSTER_ID_LEN + 1];
    uint64_t commit;
    struct voters_chain chain;          /* after commit */
    struct voters founding;
};

/* Decides for a new acceptor (self, not admitted) from the reports of
 * the others and of the learners; founders are the founding acceptors
 * (nodes, ordered by id; the first is the founder). */
void admission_decide(const struct node_info *self,
                      const struct acceptor_identity *me,
                      const struct node_info *founders, size_t n_founders,
                      const struct identity_report *reports, size_t n,
                      const struct learners_report *learners,
                      struct admission *out);

/* The identity as the data directory keeps it (JSON, malloc'd; NULL when
 * out of memory), with the founding configuration once admitted. */
char *admission_identity_encode(const struct acceptor_identity *me,
                                const struct voters *founding);
/* Reads it back. Returns 0, or -1 with a reason in err. */
int admission_identity_decode(const char *text, size_t len,
                              struct acceptor_identity *me,
                              struct voters *founding, char *err,
                              size_t errlen);

/* True when an admitted founding voter may vote: a quorum of the
 * founding voters (this one included) report this cluster. */
bool admission_quorum_recorded(const struct voters *founding,
                               const struct acceptor_identity *me,
                               uint32_t self_id,
                               const struct identity_report *reports,
                               size_t n);

#endif

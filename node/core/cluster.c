/* cluster.c -- the roles' names (see cluster.h). */
#include "core/cluster.h"

#include <stddef.h>
#include <strings.h>

static const char *const role_names[] = {
    [ROLE_PROPOSER] = "proposer",
    [ROLE_ACCEPTOR] = "acceptor",
    [ROLE_LEARNER] = "learner",
    [ROLE_CLIENT] = "client",
};

const char *role_name(enum role r)
{
    return (size_t)r < ROLE_COUNT ? role_names[r] : "unknown";
}

int role_parse(const char *s, enum role *out)
{
    for (size_t i = 0; i < ROLE_COUNT; i++) {
        if (strcasecmp(s, role_names[i]) == 0) {
            *out = (enum role)i;
            return 0;
        }
    }
    return -1;
}

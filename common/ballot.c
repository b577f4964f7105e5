/* ballot.c -- copying and comparing slot values (see ballot.h). */
#include "ballot.h"

#include <stdlib.h>
#include <string.h>

int pvalue_copy(struct pvalue *dst, const struct pvalue *src)
{
    struct pvalue v = { NULL, NULL, src->seq };

    if (src->data) {
        v.data = strdup(src->data);
        v.client = strdup(src->client ? src->client : "");
        if (!v.data || !v.client)
            goto oom;
    }
    *dst = v;
    return 0;
oom:
    pvalue_free(&v);
    *dst = (struct pvalue){ NULL, NULL, 0 };
    return -1;
}

void pvalue_free(struct pvalue *v)
{
    free(v->data);
    free(v->client);
    v->data = NULL;
    v->client = NULL;
}

bool pvalue_equal(const struct pvalue *a, const struct pvalue *b)
{
    if (!a->data || !b->data)
        return !a->data && !b->data;
    return a->seq == b->seq && strcmp(a->data, b->data) == 0 &&
           strcmp(a->client ? a->client : "", b->client ? b->client : "") == 0;
}

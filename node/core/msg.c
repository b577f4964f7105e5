/* msg.c -- releasing a message (see msg.h). */
#include "core/msg.h"

#include <stdlib.h>

void msg_free(struct msg *m)
{
    for (size_t i = 0; i < m->n_entries; i++)
        pvalue_free(&m->entries[i].value);
    free(m->entries);
    m->entries = NULL;
    m->n_entries = 0;
    pvalue_free(&m->value);
    for (size_t i = 0; i < m->n_results; i++)
        free(m->results[i].error);
    free(m->results);
    m->results = NULL;
    m->n_results = 0;
    free(m->chain);
    free(m->founding);
    m->chain = NULL;
    m->founding = NULL;
}

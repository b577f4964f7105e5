/* array.c -- room in a growable array (see array.h). */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int array_reserve_size(void *items_ptr, size_t *cap, size_t want,
                       size_t size)
{
    size_t grown_cap = *cap ? *cap : 16;
    void *items, *grown;

    if (want <= *cap)
        return 0;
    while (grown_cap < want) {
        if (grown_cap > SIZE_MAX / 2)
            return -1;
        grown_cap *= 2;
    }
    if (grown_cap > SIZE_MAX / size)
        return -1;
    /* The caller's pointer may be any object pointer type: read and write
     * it through memcpy rather than through a void ** alias. */
    memcpy(&items, items_ptr, sizeof(items));
    grown = realloc(items, grown_cap * size);
    if (!grown)
        return -1;
    memcpy(items_ptr, &grown, sizeof(grown));
    *cap = grown_cap;
    return 0;
}

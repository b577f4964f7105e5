/* array.h -- room in a growable array: the one helper every array that
 * grows by doubling uses, in both programs.
 *
 *     struct item *items = NULL;
 *     size_t n = 0, cap = 0;
 *     if (array_reserve(&items, &cap, n + 1) < 0)
 *         goto fail;              (items and cap are unchanged)
 *     items[n++] = item;
 *
 * The new room is not cleared. */
#ifndef PAXOS_ARRAY_H
#define PAXOS_ARRAY_H

#include <stddef.h>

/* Makes *cap at least want elements of size bytes, doubling from 16 (or
 * the current room). items_ptr points at the array's pointer. Returns 0,
 * or -1 when out of memory (or when the size overflows). */
int array_reserve_size(void *items_ptr, size_t *cap, size_t want,
                       size_t size);

#define array_reserve(items_ptr, cap, want) \
    array_reserve_size((items_ptr), (cap), (want), sizeof(**(items_ptr)))

#endif

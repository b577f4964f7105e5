/* jsonread.h -- strict reading of JSON that came from the network.
 *
 * Parsing refuses anything but one JSON object (no trailing data, valid
 * UTF-8, bounded nesting); readers check each field's type and range.
 * Errors name the field by its path, e.g. "field 'entries[3].ballot.round'
 * must be a non-negative integer". */
#ifndef PAXOS_JSONREAD_H
#define PAXOS_JSONREAD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ballot.h"

/* Where a field sits: a key of its parent, or (key NULL) an index. */
struct jr_path {
    const struct jr_path *parent;
    const char *key;
    size_t index;
};

struct jr {
    char *err;                  /* the reason, when a call returns -1 */
    size_t errlen;
};

/* Parses text into *root (the caller puts it). Returns 0 or -1. */
int jr_parse(struct jr *d, const char *text, size_t len, int max_depth,
             json_object **root);

int jr_fail(struct jr *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "field 'PATH' " followed by the formatted reason. */
int jr_fail_field(struct jr *d, const struct jr_path *field, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* The member field->key of obj, or NULL when absent or JSON null. */
json_object *jr_member(json_object *obj, const struct jr_path *field);

int jr_uint(struct jr *d, json_object *obj, const struct jr_path *field,
            uint64_t min, uint64_t max, uint64_t *out);
/* The same for val itself (an array's item), which field names. */
int jr_uint_value(struct jr *d, json_object *val, const struct jr_path *field,
                  uint64_t min, uint64_t max, uint64_t *out);
int jr_u32(struct jr *d, json_object *obj, const struct jr_path *field,
           uint32_t *out);
int jr_bool(struct jr *d, json_object *obj, const struct jr_path *field,
            bool *out);
/* Copies a JSON string of at most max_len bytes (no NUL inside). */
int jr_string(struct jr *d, json_object *val, const struct jr_path *field,
              size_t max_len, char **out);
/* Reads parent's "ballot": {"round": R, "node": N}. */
int jr_ballot(struct jr *d, json_object *obj, const struct jr_path *parent,
              struct ballot *out);

#endif

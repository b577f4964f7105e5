/* jsonread.c -- strict JSON parsing and typed field readers; see
 * jsonread.h. */
#include "jsonread.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t jr_path_format(const struct jr_path *p, char *buf, size_t len)
{
    size_t used = p->parent ? jr_path_format(p->parent, buf, len) : 0;
    int n = p->key ? snprintf(buf + used, len - used, "%s%s", used ? "." : "", p->key)
                   : snprintf(buf + used, len - used, "[%zu]", p->index);

    used += n > 0 ? (size_t)n : 0;
    return used < len ? used : len - 1;
}

int jr_fail(struct jr *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->err, d->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int jr_fail_field(struct jr *d, const struct jr_path *field, const char *fmt,
                  ...)
{
    char name[128], reason[128];
    va_list ap;

    jr_path_format(field, name, sizeof name);
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return jr_fail(d, "field '%s' %s", name, reason);
}

json_object *jr_member(json_object *obj, const struct jr_path *field)
{
    json_object *val = NULL;

    json_object_object_get_ex(obj, field->key, &val);
    return val;
}

int jr_uint(struct jr *d, json_object *obj, const struct jr_path *field,
            uint64_t min, uint64_t max, uint64_t *out)
{
    return jr_uint_value(d, jr_member(obj, field), field, min, max, out);
}

int jr_uint_value(struct jr *d, json_object *val, const struct jr_path *field,
                  uint64_t min, uint64_t max, uint64_t *out)
{
    if (!val)
        return jr_fail_field(d, field, "is missing");
    if (!json_object_is_type(val, json_type_int) || json_object_get_int64(val) < 0)
        return jr_fail_field(d, field, "must be a non-negative integer");
    *out = json_object_get_uint64(val);
    if (*out < min || *out > max)
        return jr_fail_field(d, field, "must be in %" PRIu64 "..%" PRIu64, min, max);
    return 0;
}

int jr_u32(struct jr *d, json_object *obj, const struct jr_path *field,
           uint32_t *out)
{
    uint64_t v;

    if (jr_uint(d, obj, field, 0, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

int jr_bool(struct jr *d, json_object *obj, const struct jr_path *field,
            bool *out)
{
    json_object *val = jr_member(obj, field);

    if (!val)
        return jr_fail_field(d, field, "is missing");
    if (!json_object_is_type(val, json_type_boolean))
        return jr_fail_field(d, field, "must be true or false");
    *out = json_object_get_boolean(val);
    return 0;
}

int jr_string(struct jr *d, json_object *val, const struct jr_path *field,
              size_t max_len, char **out)
{
    size_t len;
    const char *s;

    if (!json_object_is_type(val, json_type_string))
        return jr_fail_field(d, field, "must be a string");
    len = (size_t)json_object_get_string_len(val);
    s = json_object_get_string(val);
    if (len > max_len)
        return jr_fail_field(d, field, "is %zu bytes, the limit is %zu", len, max_len);
    if (memchr(s, '\0', len))
        return jr_fail_field(d, field, "must not contain NUL characters");
    if (!(*out = malloc(len + 1)))
        return jr_fail(d, "out of memory");
    memcpy(*out, s, len + 1);
    return 0;
}

int jr_ballot(struct jr *d, json_object *obj, const struct jr_path *parent,
              struct ballot *out)
{
    const struct jr_path field = { parent, "ballot", 0 };
    json_object *val = jr_member(obj, &field);

    if (!val)
        return jr_fail_field(d, &field, "is missing");
    if (!json_object_is_type(val, json_type_object))
        return jr_fail_field(d, &field, "must be an object");
    if (jr_u32(d, val, &(struct jr_path){ &field, "round", 0 }, &out->round) != 0 ||
        jr_u32(d, val, &(struct jr_path){ &field, "node", 0 }, &out->node) != 0)
        return -1;
    return 0;
}

/* Offset of the first character that is not JSON whitespace. */
static size_t jr_skip_space(const char *text, size_t len)
{
    size_t i = 0;

    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' ||
                       text[i] == '\n'))
        i++;
    return i;
}

int jr_parse(struct jr *d, const char *text, size_t len, int max_depth,
             json_object **root)
{
    size_t start = jr_skip_space(text, len);
    json_tokener *tok = NULL;
    enum json_tokener_error parse_error;
    int rc = -1;

    *root = NULL;
    if (len > INT_MAX) {
        jr_fail(d, "message is %zu bytes, too large to parse", len);
        goto cleanup;
    }
    if (start == len || text[start] != '{') {
        jr_fail(d, "message must be a JSON object");
        goto cleanup;
    }
    if (!(tok = json_tokener_new_ex(max_depth))) {
        jr_fail(d, "out of memory");
        goto cleanup;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    *root = json_tokener_parse_ex(tok, text, (int)len);
    parse_error = json_tokener_get_error(tok);
    if (parse_error == json_tokener_continue) {
        jr_fail(d, "malformed JSON: unexpected end of input");
        goto cleanup;
    }
    if (parse_error != json_tokener_success) {
        jr_fail(d, "malformed JSON: %s at offset %zu",
                json_tokener_error_desc(parse_error),
                json_tokener_get_parse_end(tok));
        goto cleanup;
    }
    if (json_tokener_get_parse_end(tok) != len) {
        jr_fail(d, "malformed JSON: trailing data at offset %zu",
                json_tokener_get_parse_end(tok));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (rc != 0) {
        json_object_put(*root);
        *root = NULL;
    }
    if (tok)    /* json_tokener_free() does not accept NULL */
        json_tokener_free(tok);
    return rc;
}

/* jsonwrite.c -- JSON text written straight into a buffer (see
 * jsonwrite.h). Strings are escaped as json-c escapes them: quote,
 * backslash and control characters; other bytes go out as they are. */
#include "net/jsonwrite.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JW_INITIAL_CAP 256

static bool reserve(struct jw *w, size_t more)
{
    size_t cap;
    char *grown;

    if (w->failed)
        return false;
    if (w->len + more + 1 <= w->cap)
        return true;
    cap = w->cap ? w->cap : JW_INITIAL_CAP;
    while (cap < w->len + more + 1)
        cap *= 2;
    if (!(grown = realloc(w->buf, cap))) {
        w->failed = true;
        return false;
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* Before any value: the comma that separates it from the one before. */
static void begin_value(struct jw *w)
{
    if (!w->after_key && !w->first)
        put(w, ",", 1);
    w->first = false;
    w->after_key = false;
}

void jw_open(struct jw *w, char bracket)
{
    begin_value(w);
    put(w, &bracket, 1);
    w->first = true;
}

void jw_close(struct jw *w, char bracket)
{
    put(w, &bracket, 1);
    w->first = false;
    w->after_key = false;
}

void jw_key(struct jw *w, const char *key)
{
    size_t n = strlen(key);

    if (!w->first)
        put(w, ",", 1);
    if (reserve(w, n + 3)) {
        w->buf[w->len++] = '"';
        memcpy(w->buf + w->len, key, n);
        w->len += n;
        w->buf[w->len++] = '"';
        w->buf[w->len++] = ':';
    }
    w->first = false;
    w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    char *out;

    begin_value(w);
    /* at worst 6 bytes a byte (\u001f), and the quotes */
    if (!reserve(w, n * 6 + 2))
        return;
    out = w->buf + w->len;
    *out++ = '"';
    for (; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out++ = '"';
    w->len = (size_t)(out - w->buf);
}

void jw_u64(struct jw *w, uint64_t n)
{
    char text[24];

    begin_value(w);
    put(w, text, (size_t)snprintf(text, sizeof text, "%" PRIu64, n));
}

void jw_i64(struct jw *w, int64_t n)
{
    char text[24];

    begin_value(w);
    put(w, text, (size_t)snprintf(text, sizeof text, "%" PRId64, n));
}

void jw_bool(struct jw *w, bool b)
{
    begin_value(w);
    put(w, b ? "true" : "false", b ? 4 : 5);
}

void jw_raw(struct jw *w, const char *text, size_t len)
{
    begin_value(w);
    put(w, text, len);
}

char *jw_finish(struct jw *w)
{
    char *text;

    if (!reserve(w, 0)) {
        free(w->buf);
        *w = (struct jw)JW_INIT;
        return NULL;
    }
    w->buf[w->len] = '\0';
    text = w->buf;
    *w = (struct jw)JW_INIT;
    return text;
}

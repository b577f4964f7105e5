/* jsonwrite.h -- writes JSON text straight into a growing buffer, for the
 * messages sent on every write (codec.c) and the answers to them: no tree
 * of objects built first and thrown away.
 *
 * Commas come by themselves: each value written after another in the same
 * object or array gets one. Out of memory is remembered and reported once,
 * by jw_finish(), so callers write without checking each step:
 *
 *     struct jw w = JW_INIT;
 *     jw_open(&w, '{');
 *     jw_key(&w, "slot"); jw_u64(&w, 7);
 *     jw_close(&w, '}');
 *     char *text = jw_finish(&w);         (malloc'd, or NULL) */
#ifndef PAXOS_JSONWRITE_H
#define PAXOS_JSONWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jw {
    char *buf;
    size_t len, cap;
    bool first;         /* nothing written yet in the open object/array */
    bool after_key;     /* a key was written: its value comes next */
    bool failed;        /* out of memory */
};

#define JW_INIT { NULL, 0, 0, true, false, false }

/* '{' or '[' to open, '}' or ']' to close. */
void jw_open(struct jw *w, char bracket);
void jw_close(struct jw *w, char bracket);
/* A key in the open object: a constant of plain ASCII, written as is. */
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_u64(struct jw *w, uint64_t n);
void jw_i64(struct jw *w, int64_t n);
void jw_bool(struct jw *w, bool b);
/* JSON text already whole (an object, an array, a number). */
void jw_raw(struct jw *w, const char *text, size_t len);

/* The text, NUL-terminated, for the caller to free; NULL when memory ran
 * out on the way (the buffer is then freed). */
char *jw_finish(struct jw *w);

#endif

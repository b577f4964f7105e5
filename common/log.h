/* log.h -- one line per event on stderr, and a ring of the last lines.
 *
 * Every line is "TIME LEVEL NAME message": what `kubectl logs` shows. The
 * ring keeps the most recent lines so /view-logs can return them. */
#ifndef PAXOS_LOG_H
#define PAXOS_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_RING_LINES 200

/* Name printed on every line (the node's name) and the lowest level shown. */
void log_init(const char *name, enum log_level level);
/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Calls fn for each line kept in the ring, oldest first. */
void log_ring_each(void (*fn)(const char *line, void *ud), void *ud);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif

/* log.c -- timestamped lines on stderr and a ring of the last ones
 * (see log.h). Single-threaded like the rest of the process: the loop
 * thread is the only writer. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Longest line kept, newline excluded; longer messages are cut. */
#define LOG_LINE_MAX 1024

static const char *const level_names[] = { "DEBUG", "INFO", "WARN", "ERROR" };

static struct {
    char name[64];
    enum log_level level;
    char ring[LOG_RING_LINES][LOG_LINE_MAX + 1];
    size_t ring_next;       /* slot the next line goes to */
    size_t ring_count;
} logger = { .name = "paxosd", .level = LOG_INFO };

void log_init(const char *name, enum log_level level)
{
    snprintf(logger.name, sizeof logger.name, "%s", name);
    logger.level = level;
}

int log_level_parse(const char *s)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return (int)i;
    return -1;
}

/* Writes "2026-11-27T09:30:00.123Z " into buf (at least 32 bytes). */
static size_t format_time(char *buf, size_t size)
{
    struct timespec now;
    struct tm utc;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &utc);
    size_t len = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &utc);
    len += (size_t)snprintf(buf + len, size - len, ".%03ldZ ",
                            now.tv_nsec / 1000000);
    return len;
}

static void ring_push(const char *line, size_t len)
{
    memcpy(logger.ring[logger.ring_next], line, len);
    logger.ring[logger.ring_next][len] = '\0';
    logger.ring_next = (logger.ring_next + 1) % LOG_RING_LINES;
    if (logger.ring_count < LOG_RING_LINES)
        logger.ring_count++;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX + 1];    /* the text, then the newline */
    va_list ap;

    if (level < logger.level || level > LOG_ERROR)
        return;

    /* The prefix is far shorter than a line: the name is under 64 bytes. */
    size_t len = format_time(line, sizeof line);
    len += (size_t)snprintf(line + len, sizeof line - len, "%s %s ",
                            level_names[level], logger.name);
    va_start(ap, fmt);
    int n = vsnprintf(line + len, sizeof line - len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        /* One event, one line: embedded line breaks become spaces. */
        for (char *p = line + len; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        len += (size_t)n;
        if (len > LOG_LINE_MAX)
            len = LOG_LINE_MAX;
    }

    ring_push(line, len);
    line[len] = '\n';
    while (write(STDERR_FILENO, line, len + 1) < 0 && errno == EINTR)
        ;
}

void log_ring_each(void (*fn)(const char *line, void *ud), void *ud)
{
    size_t oldest = (logger.ring_next + LOG_RING_LINES - logger.ring_count) %
                    LOG_RING_LINES;

    for (size_t i = 0; i < logger.ring_count; i++)
        fn(logger.ring[(oldest + i) % LOG_RING_LINES], ud);
}

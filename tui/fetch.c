/* fetch.c -- paxos-top's plain HTTP/1.1 client (see fetch.h).
 *
 * A request: parse the URL, resolve the host, connect without blocking,
 * write the request, read until the server closes, parse. Each step is
 * driven by the loop; a timer bounds the whole. A failure found while
 * starting (a refused connect) is reported from a zero-delay timer, so
 * the callback never runs inside fetch_request. */
#include "fetch.h"

#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"

#define READ_CHUNK 16384
#define MAX_RESPONSE (256u << 20)   /* a longer answer is refused */

struct fetch_req {
    struct fetch *f;
    int fd;
    char *out;                  /* the request's bytes */
    size_t out_len, out_sent;
    char *in;                   /* the response's bytes, NUL-terminated */
    size_t in_len, in_cap;
    uint64_t timer;
    fetch_done_fn fn;
    void *ud;
    char err[128];              /* set: fail with it when the timer fires */
    struct fetch_req *prev, *next;
};

struct fetch {
    struct loop *loop;
    char *headers;              /* "Name: value\r\n" lines */
    struct fetch_req *live;
    bool closing;
};

struct fetch *fetch_new(struct loop *l)
{
    struct fetch *f = calloc(1, sizeof(*f));

    if (f)
        f->loop = l;
    return f;
}

/* Ends r: callback (with the response, or status 0 and err), then free. */
static void req_finish(struct fetch_req *r, const char *err)
{
    struct fetch *f = r->f;
    int status = 0;
    char *body = (char *)"";
    size_t body_len = 0;

    if (r->fd >= 0) {
        loop_unwatch(f->loop, r->fd);
        close(r->fd);
    }
    loop_cancel(f->loop, r->timer);
    if (r->prev)
        r->prev->next = r->next;
    else
        f->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (!err && fetch_parse_response(r->in, r->in_len, &status, &body,
                                     &body_len, &err) < 0)
        status = 0;
    if (err) {
        status = 0;
        body = (char *)"";
        body_len = 0;
    }
    r->fn(r->ud, status, body, body_len, err);
    free(r->out);
    free(r->in);
    free(r);
}

void fetch_free(struct fetch *f)
{
    if (!f)
        return;
    f->closing = true;
    while (f->live)
        req_finish(f->live, "shutting down");
    free(f->headers);
    free(f);
}

int fetch_add_header(struct fetch *f, const char *line)
{
    size_t had = f->headers ? strlen(f->headers) : 0;
    char *grown = realloc(f->headers, had + strlen(line) + 3);

    if (!grown)
        return -1;
    sprintf(grown + had, "%s\r\n", line);
    f->headers = grown;
    return 0;
}

static void on_timer(struct loop *l, void *ud)
{
    struct fetch_req *r = ud;

    (void)l;
    r->timer = 0;
    req_finish(r, r->err[0] ? r->err : "timed out");
}

static void on_fd(struct loop *l, int fd, int events, void *ud)
{
    struct fetch_req *r = ud;

    (void)events;
    if (r->out_sent < r->out_len) {
        int so_error = 0;
        socklen_t optlen = sizeof so_error;
        ssize_t n;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &optlen) == 0 &&
            so_error) {
            snprintf(r->err, sizeof r->err, "%s", strerror(so_error));
            req_finish(r, r->err);
            return;
        }
        n = send(fd, r->out + r->out_sent, r->out_len - r->out_sent,
                 MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            snprintf(r->err, sizeof r->err, "%s", strerror(errno));
            req_finish(r, r->err);
            return;
        }
        if (n > 0)
            r->out_sent += (size_t)n;
        if (r->out_sent == r->out_len)
            loop_watch(l, fd, LOOP_READ, on_fd, r);
        return;
    }
    for (;;) {
        ssize_t n;
        if (r->in_cap - r->in_len < READ_CHUNK + 1) {
            size_t cap = r->in_cap ? r->in_cap * 2 : READ_CHUNK * 2;
            char *grown = cap <= MAX_RESPONSE ? realloc(r->in, cap) : NULL;
            if (!grown) {
                req_finish(r, "answer too large");
                return;
            }
            r->in = grown;
            r->in_cap = cap;
        }
        n = recv(fd, r->in + r->in_len, r->in_cap - r->in_len - 1, 0);
        if (n > 0) {
            r->in_len += (size_t)n;
            continue;
        }
        if (n == 0) {
            r->in[r->in_len] = '\0';
            req_finish(r, NULL);
        } else if (errno != EAGAIN && errno != EINTR) {
            snprintf(r->err, sizeof r->err, "%s", strerror(errno));
            req_finish(r, r->err);
        }
        return;
    }
}

/* Splits "http://host[:port]/path" into its parts. */
static int parse_url(const char *url, char *host, size_t host_len,
                     char *port, size_t port_len, const char **path)
{
    const char *p = url, *end, *colon;

    if (strncmp(p, "http://", 7) != 0)
        return -1;
    p += 7;
    end = p + strcspn(p, "/");
    *path = *end ? end : "/";
    if (*p == '[') {                        /* [v6]:port */
        const char *close_bracket = memchr(p, ']', (size_t)(end - p));
        if (!close_bracket)
            return -1;
        colon = close_bracket + 1 < end && close_bracket[1] == ':'
                    ? close_bracket + 1 : NULL;
        if ((size_t)(close_bracket - p - 1) >= host_len)
            return -1;
        memcpy(host, p + 1, (size_t)(close_bracket - p - 1));
        host[close_bracket - p - 1] = '\0';
    } else {
        colon = memchr(p, ':', (size_t)(end - p));
        const char *host_end = colon ? colon : end;
        if ((size_t)(host_end - p) >= host_len || host_end == p)
            return -1;
        memcpy(host, p, (size_t)(host_end - p));
        host[host_end - p] = '\0';
    }
    if (!colon) {
        snprintf(port, port_len, "80");
        return 0;
    }
    if ((size_t)(end - colon - 1) >= port_len || end == colon + 1)
        return -1;
    memcpy(port, colon + 1, (size_t)(end - colon - 1));
    port[end - colon - 1] = '\0';
    return 0;
}

/* Opens a non-blocking connection to host:port; on failure returns -1
 * with err set. */
static int open_connection(const char *host, const char *port, char *err,
                           size_t err_len)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM };
    struct addrinfo *addrs = NULL;
    int gai = getaddrinfo(host, port, &hints, &addrs), fd = -1;

    if (gai != 0) {
        snprintf(err, err_len, "cannot resolve the host: %s",
                 gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *a = addrs; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
            errno != EINPROGRESS) {
            snprintf(err, err_len, "%s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(addrs);
    return fd;
}

int fetch_request(struct fetch *f, const char *method, const char *url,
                  const char *body, size_t len, long timeout_ms,
                  fetch_done_fn fn, void *ud)
{
    struct fetch_req *r;
    char host[256], port[16];
    const char *path;
    int n;

    if (f->closing || parse_url(url, host, sizeof host, port, sizeof port,
                                &path) < 0)
        return -1;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    r->f = f;
    r->fn = fn;
    r->ud = ud;
    n = asprintf(&r->out, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n"
                 "Connection: close\r\n%s%s%zu\r\n\r\n",
                 method, path, host, port, f->headers ? f->headers : "",
                 body ? "Content-Type: application/json\r\nContent-Length: "
                      : "Content-Length: ",
                 body ? len : 0);
    if (n < 0) {
        free(r);
        return -1;
    }
    r->out_len = (size_t)n;
    if (body) {
        char *grown = realloc(r->out, r->out_len + len);
        if (!grown) {
            free(r->out);
            free(r);
            return -1;
        }
        memcpy(grown + r->out_len, body, len);
        r->out = grown;
        r->out_len += len;
    }
    r->fd = open_connection(host, port, r->err, sizeof r->err);
    if (r->fd < 0 && !r->err[0])
        snprintf(r->err, sizeof r->err, "cannot connect");
    if (r->fd >= 0 && loop_watch(f->loop, r->fd, LOOP_WRITE, on_fd, r) < 0) {
        close(r->fd);
        r->fd = -1;
        snprintf(r->err, sizeof r->err, "cannot watch the connection");
    }
    r->timer = loop_timer(f->loop, r->fd < 0 ? 0 : timeout_ms, on_timer, r);
    if (!r->timer) {
        if (r->fd >= 0) {
            loop_unwatch(f->loop, r->fd);
            close(r->fd);
        }
        free(r->out);
        free(r);
        return -1;
    }
    r->next = f->live;
    if (f->live)
        f->live->prev = r;
    f->live = r;
    return 0;
}

/* ---- parsing ---- */

/* The value of header name in [headers, end), or NULL. */
static const char *header_value(const char *headers, const char *end,
                                const char *name, size_t *value_len)
{
    size_t name_len = strlen(name);

    for (const char *line = headers; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            eol = end;
        if ((size_t)(eol - line) > name_len &&
            strncasecmp(line, name, name_len) == 0 && line[name_len] == ':') {
            const char *v = line + name_len + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            *value_len = (size_t)(eol - v);
            while (*value_len && (v[*value_len - 1] == '\r' ||
                                  v[*value_len - 1] == ' '))
                (*value_len)--;
            return v;
        }
        line = eol + 1;
    }
    return NULL;
}

/* Decodes a chunked body in place; returns its length, or -1. */
static long dechunk(char *p, size_t len)
{
    size_t in = 0, out = 0;

    for (;;) {
        char *end;
        unsigned long size;
        if (in >= len)
            return -1;
        errno = 0;
        size = strtoul(p + in, &end, 16);
        if (end == p + in || errno)
            return -1;
        end = memchr(end, '\n', len - (size_t)(end - p));
        if (!end)
            return -1;
        in = (size_t)(end - p) + 1;
        if (size == 0)
            return (long)out;
        if (size > len - in)
            return -1;
        memmove(p + out, p + in, size);
        out += size;
        in += size;
        if (in < len && p[in] == '\r')
            in++;
        if (in < len && p[in] == '\n')
            in++;
    }
}

int fetch_parse_response(char *buf, size_t len, int *status, char **body,
                         size_t *body_len, const char **err)
{
    char *head_end = len ? strstr(buf, "\r\n\r\n") : NULL;
    const char *v;
    size_t v_len;
    int code;

    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 ||
        sscanf(buf + 8, " %3d", &code) != 1 || code < 100 || code > 999) {
        *err = len ? "not an HTTP answer" : "no answer";
        return -1;
    }
    if (!head_end) {
        *err = "the answer's headers were cut off";
        return -1;
    }
    *body = head_end + 4;
    *body_len = len - (size_t)(*body - buf);
    v = header_value(buf, head_end, "Transfer-Encoding", &v_len);
    if (v && v_len == 7 && strncasecmp(v, "chunked", 7) == 0) {
        long n = dechunk(*body, *body_len);
        if (n < 0) {
            *err = "a chunked answer was cut off";
            return -1;
        }
        *body_len = (size_t)n;
    } else if ((v = header_value(buf, head_end, "Content-Length", &v_len))) {
        unsigned long long want = strtoull(v, NULL, 10);
        if (want > *body_len) {
            *err = "the answer was cut off";
            return -1;
        }
        *body_len = (size_t)want;
    }
    (*body)[*body_len] = '\0';
    *status = code;
    return 0;
}

/* test_http.c -- the I/O layer end to end: the loop's timers, hooks and
 * stopping, the log ring, and an httpd answering an httpc on loopback in
 * the same loop (routes, bodies, errors, deferred replies, concurrency). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/httpc.h"
#include "net/httpd.h"
#include "log.h"
#include "loop.h"

#define MAX_BODY (128 * 1024)

struct reply {
    bool done;
    int status;
    char *body;
    size_t len;
    char *err;
};

static struct {
    struct loop *loop;
    struct httpd *httpd;
    struct httpc *httpc;
    unsigned port;
    int pending;        /* requests started and not answered */
} fx;

/* A loopback port nobody listens on right now. */
static unsigned free_port(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

/* ---- client side ---- */

static void on_reply(void *ud, int status, const char *body, size_t len,
                     const char *err)
{
    struct reply *r = ud;

    assert_false(r->done);
    r->done = true;
    r->status = status;
    r->len = len;
    r->body = malloc(len + 1);
    memcpy(r->body, body, len + 1);
    r->err = err ? strdup(err) : NULL;
    if (--fx.pending == 0)
        loop_stop(fx.loop);
}

static void reply_free(struct reply *r)
{
    free(r->body);
    free(r->err);
}

static void start_on(unsigned port, const char *method, const char *path,
                     const char *body, size_t len,
                     const char *const *headers, struct reply *r)
{
    char url[128];

    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    assert_int_equal(httpc_request(fx.httpc, method, url, body, len, headers,
                                   5000, on_reply, r), 0);
    fx.pending++;
}

static void start(const char *method, const char *path, const char *body,
                  size_t len, struct reply *r)
{
    start_on(fx.port, method, path, body, len, NULL, r);
}

/* ---- server side ---- */

static void handle_hello(struct http_request *req, void *ud)
{
    httpd_reply(req, 200, strdup("{\"hello\":\"world\"}"));
}

static void handle_echo(struct http_request *req, void *ud)
{
    size_t len = httpd_body_len(req);
    char *copy = malloc(len + 1);

    memcpy(copy, httpd_body(req), len + 1);
    httpd_reply_typed(req, 200, copy, len, "text/plain");
}

static void handle_query(struct http_request *req, void *ud)
{
    char *body;
    const char *x = httpd_query(req, "x");
    const char *header = httpd_header(req, "x-test");

    assert_true(asprintf(&body, "%s %s %s", httpd_path(req), x ? x : "-",
                         header ? header : "-") > 0);
    httpd_reply_typed(req, 200, body, strlen(body), "text/plain");
}

static void reply_late(struct loop *l, void *ud)
{
    httpd_reply(ud, 202, strdup("{\"late\":true}"));
}

static void handle_later(struct http_request *req, void *ud)
{
    assert_true(loop_timer(fx.loop, 50, reply_late, req) > 0);
}

/* GET /park waits until POST /release hands it the release's body; the
 * park handler itself sends the release, so the order is certain. */
static struct http_request *parked;
static struct reply release_reply;

static void handle_park(struct http_request *req, void *ud)
{
    parked = req;
    start("POST", "/release", "{\"v\":7}", 7, &release_reply);
}

static void handle_release(struct http_request *req, void *ud)
{
    size_t len = httpd_body_len(req);
    char *copy = malloc(len + 1);

    memcpy(copy, httpd_body(req), len + 1);
    httpd_reply(parked, 200, copy);
    parked = NULL;
    httpd_reply(req, 204, NULL);
}

/* GET /batched is answered by a before-sleep hook added after the
 * httpd's, as a node flushing batched work does. */
static struct http_request *batched;

static void handle_batched(struct http_request *req, void *ud)
{
    batched = req;
}

static void flush_batched(struct loop *l, void *ud)
{
    if (!batched)
        return;
    httpd_reply(batched, 200, strdup("{\"batched\":true}"));
    batched = NULL;
}

/* Never answered: httpd_stop() must close it. */
static void handle_forever(struct http_request *req, void *ud)
{
    loop_stop(fx.loop);
}

/* ---- running ---- */

static void on_watchdog(struct loop *l, void *ud)
{
    *(bool *)ud = true;
    loop_stop(l);
}

/* Runs the loop until every started request is answered. */
static void run_requests(void)
{
    bool expired = false;
    uint64_t watchdog = loop_timer(fx.loop, 10000, on_watchdog, &expired);

    assert_int_equal(loop_run(fx.loop), 0);
    loop_cancel(fx.loop, watchdog);
    assert_false(expired);
    assert_int_equal(fx.pending, 0);
    assert_int_equal(httpc_in_flight(fx.httpc), 0);
}

static char *filled(size_t len, char first)
{
    char *s = malloc(len + 1);

    for (size_t i = 0; i < len; i++)
        s[i] = (char)(first + i % 26);
    s[len] = '\0';
    return s;
}

/* ---- HTTP tests ---- */

static void test_get_route(void **state)
{
    struct reply r = { 0 };

    start("GET", "/hello", NULL, 0, &r);
    run_requests();
    assert_int_equal(r.status, 200);
    assert_null(r.err);
    assert_string_equal(r.body, "{\"hello\":\"world\"}");
    reply_free(&r);
}

static void test_query_and_header(void **state)
{
    const char *const headers[] = { "X-Test: yes", NULL };
    struct reply r = { 0 };

    start_on(fx.port, NULL, "/query?x=42", NULL, 0, headers, &r);
    run_requests();
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "/query 42 yes");
    reply_free(&r);
}

static void test_post_body_intact(void **state)
{
    char *big = filled(100 * 1024, 'a');
    struct reply small = { 0 }, large = { 0 }, empty = { 0 };

    const char *json = "{\"v\":\"x\\u0000y\"}";

    start("POST", "/echo", json, strlen(json), &small);
    start("POST", "/echo", big, 100 * 1024, &large);
    start("POST", "/echo", NULL, 0, &empty);
    run_requests();
    assert_int_equal(small.status, 200);
    assert_string_equal(small.body, json);
    assert_int_equal(large.status, 200);
    assert_int_equal(large.len, 100 * 1024);
    assert_memory_equal(large.body, big, 100 * 1024);
    assert_int_equal(empty.status, 200);
    assert_int_equal(empty.len, 0);
    reply_free(&small);
    reply_free(&large);
    reply_free(&empty);
    free(big);
}

static void test_unknown_path_404(void **state)
{
    struct reply r = { 0 };

    start("GET", "/nope", NULL, 0, &r);
    run_requests();
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"error\":\"no route GET /nope\"}");
    reply_free(&r);
}

static void test_wrong_method_405(void **state)
{
    struct reply r = { 0 };

    start("DELETE", "/echo", NULL, 0, &r);
    run_requests();
    assert_int_equal(r.status, 405);
    assert_string_equal(r.body,
                        "{\"error\":\"method DELETE not allowed on /echo\"}");
    reply_free(&r);
}

/* A Content-Length over the limit is refused before the body is read, and
 * the connection closed: only a client that waits for "100 Continue" is
 * sure to read the 413 rather than fail sending. A chunked body is
 * refused once it ends. */
static void test_body_too_large_413(void **state)
{
    const char *const expect[] = { "Expect: 100-continue", NULL };
    const char *const chunked[] = { "Transfer-Encoding: chunked", NULL };
    char *big = filled(MAX_BODY + 1, 'A');
    struct reply announced = { 0 }, streamed = { 0 }, at_limit = { 0 };

    start_on(fx.port, "POST", "/echo", big, MAX_BODY + 1, expect, &announced);
    start_on(fx.port, "POST", "/echo", big, MAX_BODY + 1, chunked, &streamed);
    start("POST", "/echo", big, MAX_BODY, &at_limit);
    run_requests();
    assert_int_equal(announced.status, 413);
    assert_string_equal(announced.body,
                        "{\"error\":\"body too large (max 131072 bytes)\"}");
    assert_int_equal(streamed.status, 413);
    assert_string_equal(streamed.body, announced.body);
    assert_int_equal(at_limit.status, 200);
    assert_int_equal(at_limit.len, MAX_BODY);
    reply_free(&announced);
    reply_free(&streamed);
    reply_free(&at_limit);
    free(big);
}

static void test_deferred_reply(void **state)
{
    struct reply r = { 0 }, quick = { 0 };
    int64_t started = loop_now_ms();

    start("GET", "/later", NULL, 0, &r);
    start("GET", "/hello", NULL, 0, &quick);
    run_requests();
    assert_true(loop_now_ms() - started >= 50);
    assert_int_equal(r.status, 202);
    assert_string_equal(r.body, "{\"late\":true}");
    assert_int_equal(quick.status, 200);
    reply_free(&r);
    reply_free(&quick);
}

static void test_reply_from_another_handler(void **state)
{
    struct reply r = { 0 };

    start("GET", "/park", NULL, 0, &r);
    run_requests();
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"v\":7}");
    assert_int_equal(release_reply.status, 204);
    assert_int_equal(release_reply.len, 0);
    reply_free(&r);
    reply_free(&release_reply);
}

static void test_reply_from_later_hook(void **state)
{
    struct reply r = { 0 };
    int64_t started = loop_now_ms();

    start("GET", "/batched", NULL, 0, &r);
    run_requests();
    assert_true(loop_now_ms() - started < 1000);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"batched\":true}");
    reply_free(&r);
}

static void test_many_concurrent(void **state)
{
    enum { N = 200 };
    struct reply *replies = calloc(N, sizeof *replies);
    char bodies[N][32];

    for (int i = 0; i < N; i++) {
        snprintf(bodies[i], sizeof bodies[i], "{\"n\":%d}", i);
        start("POST", "/echo", bodies[i], strlen(bodies[i]), &replies[i]);
    }
    assert_int_equal(httpc_in_flight(fx.httpc), N);
    run_requests();
    for (int i = 0; i < N; i++) {
        assert_int_equal(replies[i].status, 200);
        assert_string_equal(replies[i].body, bodies[i]);
        reply_free(&replies[i]);
    }
    free(replies);
}

static void test_closed_port(void **state)
{
    struct reply r = { 0 };

    start_on(free_port(), "GET", "/hello", NULL, 0, NULL, &r);
    run_requests();
    assert_int_equal(r.status, 0);
    assert_non_null(r.err);
    assert_true(strlen(r.err) > 0);
    reply_free(&r);
}

static void stop_loop(struct loop *l, void *ud)
{
    loop_stop(l);
}

static void test_timeout(void **state)
{
    struct reply r = { 0 };
    char url[128];

    snprintf(url, sizeof url, "http://127.0.0.1:%u/later", fx.port);
    assert_int_equal(httpc_request(fx.httpc, NULL, url, NULL, 0, NULL, 20,
                                   on_reply, &r), 0);
    fx.pending++;
    run_requests();
    assert_int_equal(r.status, 0);
    assert_non_null(r.err);
    /* Let the late reply go to the closed connection. */
    assert_true(loop_timer(fx.loop, 80, stop_loop, NULL) > 0);
    assert_int_equal(loop_run(fx.loop), 0);
    reply_free(&r);
}

/* A callback may start the next request. */
static struct reply chained_second;

static void on_first_of_chain(void *ud, int status, const char *body,
                              size_t len, const char *err)
{
    assert_int_equal(status, 200);
    start("GET", "/hello", NULL, 0, &chained_second);
    on_reply(ud, status, body, len, err);
}

static void test_request_from_callback(void **state)
{
    struct reply first = { 0 };
    char url[128];

    snprintf(url, sizeof url, "http://127.0.0.1:%u/hello", fx.port);
    assert_int_equal(httpc_request(fx.httpc, "GET", url, NULL, 0, NULL, 5000,
                                   on_first_of_chain, &first), 0);
    fx.pending++;
    run_requests();
    assert_int_equal(chained_second.status, 200);
    reply_free(&first);
    reply_free(&chained_second);
}

/* Leaves a request suspended for the teardown's httpd_stop(). */
static void test_unanswered_at_stop(void **state)
{
    static struct reply never;

    start("GET", "/forever", NULL, 0, &never);
    assert_int_equal(loop_run(fx.loop), 0);
    assert_false(never.done);
}

/* ---- loop tests ---- */

struct timer_log {
    char order[16];
    size_t len;
    uint64_t to_cancel;
};

static void note_a(struct loop *l, void *ud)
{
    struct timer_log *t = ud;
    t->order[t->len++] = 'a';
}

static void note_b(struct loop *l, void *ud)
{
    struct timer_log *t = ud;
    t->order[t->len++] = 'b';
    loop_cancel(l, t->to_cancel);
}

static void note_c_and_stop(struct loop *l, void *ud)
{
    struct timer_log *t = ud;
    t->order[t->len++] = 'c';
    loop_stop(l);
}

static void note_never(struct loop *l, void *ud)
{
    struct timer_log *t = ud;
    t->order[t->len++] = 'X';
}

static void note_zero(struct loop *l, void *ud)
{
    struct timer_log *t = ud;
    t->order[t->len++] = '0';
}

static void test_timers_order_and_cancel(void **state)
{
    struct loop *l = loop_new();
    struct timer_log t = { .len = 0 };

    assert_non_null(l);
    assert_true(loop_timer(l, 30, note_c_and_stop, &t) > 0);
    assert_true(loop_timer(l, 20, note_b, &t) > 0);
    assert_true(loop_timer(l, 10, note_a, &t) > 0);
    t.to_cancel = loop_timer(l, 25, note_never, &t);
    loop_cancel(l, loop_timer(l, 5, note_never, &t));
    assert_true(loop_timer(l, -5, note_zero, &t) > 0);
    assert_true(loop_timer(l, 0, note_zero, &t) > 0);
    loop_cancel(l, 12345);

    int64_t started = loop_now_ms();
    assert_int_equal(loop_run(l), 0);
    assert_true(loop_now_ms() - started >= 30);
    assert_int_equal(t.len, 5);
    assert_memory_equal(t.order, "00abc", 5);
    loop_free(l);
}

struct turns {
    char order[16];
    size_t len;
};

static void hook_first(struct loop *l, void *ud)
{
    struct turns *t = ud;
    t->order[t->len++] = '1';
    loop_wait_at_most(l, 1000);
    loop_wait_at_most(l, 20);
}

static void hook_second(struct loop *l, void *ud)
{
    struct turns *t = ud;
    t->order[t->len++] = '2';
    if (t->len == 6)
        loop_stop(l);
}

static void test_hooks_and_wait_bound(void **state)
{
    struct loop *l = loop_new();
    struct turns t = { .len = 0 };

    assert_non_null(l);
    assert_int_equal(loop_before_sleep(l, hook_first, &t), 0);
    assert_int_equal(loop_before_sleep(l, hook_second, &t), 0);
    int64_t started = loop_now_ms();
    assert_int_equal(loop_run(l), 0);
    int64_t elapsed = loop_now_ms() - started;
    assert_memory_equal(t.order, "121212", 6);
    assert_true(elapsed >= 40 && elapsed < 900);    /* two 20 ms waits */
    loop_free(l);
}

static void on_pipe_readable(struct loop *l, int fd, int events, void *ud)
{
    char byte;

    assert_int_equal(events, LOOP_READ);
    assert_int_equal(read(fd, &byte, 1), 1);
    *(char *)ud = byte;
    loop_unwatch(l, fd);
    loop_stop(l);
}

static void test_fd_watch_and_stop(void **state)
{
    struct loop *l = loop_new();
    int fds[2];
    char got = 0;

    assert_non_null(l);
    assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
    assert_int_equal(loop_watch(l, fds[0], LOOP_READ, on_pipe_readable, &got),
                     0);
    assert_int_equal(write(fds[1], "z", 1), 1);
    assert_int_equal(loop_run(l), 0);
    assert_int_equal(got, 'z');
    close(fds[0]);
    close(fds[1]);
    loop_free(l);
}

static void send_sigterm(struct loop *l, void *ud)
{
    raise(SIGTERM);
}

static void test_sigterm_stops_loop(void **state)
{
    struct loop *l = loop_new();

    assert_non_null(l);
    assert_true(loop_timer(l, 1, send_sigterm, NULL) > 0);
    assert_int_equal(loop_run(l), 0);
    loop_free(l);
}

/* ---- log tests ---- */

struct ring_view {
    size_t lines;
    char first[64];
    char last[2048];
};

static void view_line(const char *line, void *ud)
{
    struct ring_view *v = ud;

    if (v->lines++ == 0)
        snprintf(v->first, sizeof v->first, "%s", line);
    snprintf(v->last, sizeof v->last, "%s", line);
}

static void test_log_ring(void **state)
{
    int saved_stderr = dup(STDERR_FILENO);
    int devnull = open("/dev/null", O_WRONLY);
    char *long_text = filled(3000, 'a');
    struct ring_view v = { 0 };

    assert_int_equal(log_level_parse("warn"), LOG_WARN);
    assert_int_equal(log_level_parse("DEBUG"), LOG_DEBUG);
    assert_int_equal(log_level_parse("loud"), -1);

    dup2(devnull, STDERR_FILENO);
    log_init("unit", LOG_INFO);
    log_debug("not shown");
    for (int i = 0; i < LOG_RING_LINES + 5; i++)
        log_info("line %d", i);
    log_warn("two\nlines %s", long_text);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    close(devnull);
    log_init("unit", LOG_ERROR);

    log_ring_each(view_line, &v);
    assert_int_equal(v.lines, LOG_RING_LINES);
    /* 2026-11-27T09:30:00.123Z INFO unit line 6 */
    assert_int_equal(strlen(v.first), 24 + strlen(" INFO unit line 6"));
    assert_int_equal(v.first[10], 'T');
    assert_int_equal(v.first[23], 'Z');
    assert_string_equal(v.first + 24, " INFO unit line 6");
    assert_true(strlen(v.last) <= 1024 && strlen(v.last) > 1000);
    assert_null(strchr(v.last, '\n'));
    assert_non_null(strstr(v.last, " WARN unit two lines abc"));
    free(long_text);
}

/* ---- a slow-drip client (slowloris) ---- */

struct drip {
    int slow, quick;            /* sockets: dripping, and a whole request */
    int64_t started_ms, cut_ms; /* when the slow one was closed (0: not) */
    char answer[256];           /* what the quick one got */
    size_t answer_len;
};

static int connect_to(unsigned port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    return fd;
}

/* Every 200 ms: one more header byte on the slow socket (never a whole
 * request, but never idle either), and whatever the quick one got. */
static void drip_tick(struct loop *l, void *ud)
{
    struct drip *d = ud;
    char buf[64];
    ssize_t n = recv(d->quick, d->answer + d->answer_len,
                     sizeof d->answer - 1 - d->answer_len, MSG_DONTWAIT);

    if (n > 0)
        d->answer_len += (size_t)n;
    n = recv(d->slow, buf, sizeof buf, MSG_DONTWAIT);
    if (n == 0 || send(d->slow, "a", 1, MSG_NOSIGNAL) < 0) {
        d->cut_ms = loop_now_ms();
        loop_stop(l);
        return;
    }
    loop_timer(l, 200, drip_tick, d);
}

static void test_slow_drip_request_is_cut_off(void **state)
{
    struct loop *l = loop_new();
    unsigned port = free_port();
    struct httpd *h = httpd_start(l, "127.0.0.1", port, &(struct httpd_limits){
        .max_body = MAX_BODY, .max_connections = 100, .timeout_s = 1 });
    static const char slow_start[] = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    static const char quick[] = "GET /hello HTTP/1.0\r\n\r\n";
    struct drip d = { 0 };
    bool expired = false;

    assert_non_null(h);
    assert_int_equal(httpd_route(h, "GET", "/hello", handle_hello, NULL), 0);
    d.slow = connect_to(port);
    d.quick = connect_to(port);
    assert_int_equal(send(d.slow, slow_start, strlen(slow_start), 0),
                     (ssize_t)strlen(slow_start));
    assert_int_equal(send(d.quick, quick, strlen(quick), 0), (ssize_t)strlen(quick));
    d.started_ms = loop_now_ms();
    loop_timer(l, 200, drip_tick, &d);
    loop_timer(l, 6000, on_watchdog, &expired);
    assert_int_equal(loop_run(l), 0);
    assert_false(expired);
    /* cut within the 1 s timeout and the guard's 1 s period */
    assert_true(d.cut_ms - d.started_ms >= 1000);
    assert_true(d.cut_ms - d.started_ms <= 3000);
    d.answer[d.answer_len] = '\0';
    assert_non_null(strstr(d.answer, " 200 "));
    close(d.slow);
    close(d.quick);
    httpd_stop(h);
    loop_free(l);
}

/* ---- fixture ---- */

static int setup(void **state)
{
    log_init("test", LOG_ERROR);
    fx.loop = loop_new();
    fx.port = free_port();
    fx.httpd = httpd_start(fx.loop, "127.0.0.1", fx.port, &(struct httpd_limits){
        .max_body = MAX_BODY, .max_connections = 1000, .timeout_s = 30 });
    fx.httpc = httpc_new(fx.loop);
    if (!fx.loop || !fx.httpd || !fx.httpc)
        return -1;
    if (httpd_route(fx.httpd, "GET", "/hello", handle_hello, NULL) < 0 ||
        httpd_route(fx.httpd, "POST", "/echo", handle_echo, NULL) < 0 ||
        httpd_route(fx.httpd, "PUT", "/echo", handle_echo, NULL) < 0 ||
        httpd_route(fx.httpd, "GET", "/query", handle_query, NULL) < 0 ||
        httpd_route(fx.httpd, "GET", "/later", handle_later, NULL) < 0 ||
        httpd_route(fx.httpd, "GET", "/park", handle_park, NULL) < 0 ||
        httpd_route(fx.httpd, "POST", "/release", handle_release, NULL) < 0 ||
        httpd_route(fx.httpd, "GET", "/forever", handle_forever, NULL) < 0 ||
        httpd_route(fx.httpd, "GET", "/batched", handle_batched, NULL) < 0 ||
        loop_before_sleep(fx.loop, flush_batched, NULL) < 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    httpc_free(fx.httpc);
    httpd_stop(fx.httpd);
    loop_free(fx.loop);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_route),
        cmocka_unit_test(test_query_and_header),
        cmocka_unit_test(test_post_body_intact),
        cmocka_unit_test(test_unknown_path_404),
        cmocka_unit_test(test_wrong_method_405),
        cmocka_unit_test(test_body_too_large_413),
        cmocka_unit_test(test_deferred_reply),
        cmocka_unit_test(test_reply_from_another_handler),
        cmocka_unit_test(test_reply_from_later_hook),
        cmocka_unit_test(test_many_concurrent),
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_request_from_callback),
        cmocka_unit_test(test_unanswered_at_stop),
        cmocka_unit_test(test_timers_order_and_cancel),
        cmocka_unit_test(test_hooks_and_wait_bound),
        cmocka_unit_test(test_fd_watch_and_stop),
        cmocka_unit_test(test_sigterm_stops_loop),
        cmocka_unit_test(test_log_ring),
        cmocka_unit_test(test_slow_drip_request_is_cut_off),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

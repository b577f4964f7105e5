/* loop.c -- the event loop (see loop.h): epoll for descriptors, a binary
 * min-heap of one-shot timers, before-sleep hooks, and a signalfd that
 * turns SIGINT/SIGTERM into a clean stop.
 *
 * A turn: run the hooks, wait in epoll_wait (bounded by the next timer
 * and by loop_wait_at_most), dispatch descriptor events, fire the timers
 * that are due. Callbacks may change anything at any point: events are
 * looked up again before each dispatch, and a generation number in each
 * epoll event drops events meant for an fd that was unwatched (and maybe
 * reused) earlier in the same turn. */
#include "loop.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "array.h"

#define LOOP_MAX_EVENTS 256

struct watch {
    int events;             /* LOOP_READ | LOOP_WRITE, 0 when not watched */
    uint32_t generation;    /* bumped on every new watch of this fd */
    loop_fd_fn fn;
    void *ud;
};

struct timer {
    int64_t due_ms;
    uint64_t id;            /* also the tie-break: equal times fire in order */
    loop_timer_fn fn;
    void *ud;
};

struct hook {
    loop_hook_fn fn;
    void *ud;
};

struct loop {
    int epoll_fd;
    int signal_fd;
    sigset_t old_sigmask;

    struct watch *watches;  /* indexed by fd */
    int watches_len;

    struct timer *timers;   /* min-heap on (due_ms, id) */
    size_t timers_len, timers_cap;
    uint64_t last_timer_id;

    struct hook *hooks;
    size_t hooks_len, hooks_cap;

    int64_t wait_bound_ms;  /* -1: no bound for the coming wait */
    bool stopping;
    struct epoll_event events[LOOP_MAX_EVENTS];
};

int64_t loop_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- descriptors ---- */

static uint32_t epoll_mask(int events)
{
    return ((events & LOOP_READ) ? EPOLLIN : 0) |
           ((events & LOOP_WRITE) ? EPOLLOUT : 0);
}

static int grow_watches(struct loop *l, int fd)
{
    int len = l->watches_len ? l->watches_len : 64;

    while (len <= fd)
        len *= 2;
    struct watch *grown = realloc(l->watches, (size_t)len * sizeof *grown);
    if (!grown)
        return -1;
    memset(grown + l->watches_len, 0,
           (size_t)(len - l->watches_len) * sizeof *grown);
    l->watches = grown;
    l->watches_len = len;
    return 0;
}

/* events == 0 means the same as loop_unwatch(). */
int loop_watch(struct loop *l, int fd, int events, loop_fd_fn fn, void *ud)
{
    if (fd < 0)
        return -1;
    if (!(events & (LOOP_READ | LOOP_WRITE))) {
        loop_unwatch(l, fd);
        return 0;
    }
    if (fd >= l->watches_len && grow_watches(l, fd) < 0)
        return -1;

    struct watch *w = &l->watches[fd];
    bool is_new = w->events == 0;
    if (w->events == events) {          /* epoll already watches this */
        w->fn = fn;
        w->ud = ud;
        return 0;
    }
    uint32_t generation = is_new ? w->generation + 1 : w->generation;
    struct epoll_event ev = {
        .events = epoll_mask(events),
        .data.u64 = (uint64_t)generation << 32 | (uint32_t)fd,
    };
    if (epoll_ctl(l->epoll_fd, is_new ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd,
                  &ev) < 0)
        return -1;
    *w = (struct watch){ events, generation, fn, ud };
    return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
    if (fd < 0 || fd >= l->watches_len || l->watches[fd].events == 0)
        return;
    /* Fails harmlessly when fd was already closed (epoll dropped it). */
    epoll_ctl(l->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
    l->watches[fd].events = 0;
}

static void dispatch(struct loop *l, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t generation = (uint32_t)(ev->data.u64 >> 32);

    if (fd >= l->watches_len)
        return;
    struct watch *w = &l->watches[fd];
    if (w->events == 0 || w->generation != generation)
        return;     /* unwatched during this turn */

    int ready = 0;
    if (ev->events & EPOLLIN)
        ready |= LOOP_READ;
    if (ev->events & EPOLLOUT)
        ready |= LOOP_WRITE;
    if (ev->events & (EPOLLERR | EPOLLHUP))
        ready |= w->events;     /* let the owner find the error */
    ready &= w->events;
    if (ready)
        w->fn(l, fd, ready, w->ud);
}

/* ---- timers ---- */

static bool fires_before(const struct timer *a, const struct timer *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->id < b->id);
}

static void swap_timers(struct timer *a, struct timer *b)
{
    struct timer t = *a;
    *a = *b;
    *b = t;
}

static void sift_up(struct timer *heap, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!fires_before(&heap[i], &heap[parent]))
            break;
        swap_timers(&heap[i], &heap[parent]);
        i = parent;
    }
}

static void sift_down(struct timer *heap, size_t len, size_t i)
{
    for (;;) {
        size_t first = i, left = 2 * i + 1, right = left + 1;
        if (left < len && fires_before(&heap[left], &heap[first]))
            first = left;
        if (right < len && fires_before(&heap[right], &heap[first]))
            first = right;
        if (first == i)
            return;
        swap_timers(&heap[i], &heap[first]);
        i = first;
    }
}

static void remove_timer_at(struct loop *l, size_t i)
{
    l->timers_len--;
    if (i == l->timers_len)
        return;
    l->timers[i] = l->timers[l->timers_len];
    sift_down(l->timers, l->timers_len, i);
    sift_up(l->timers, i);
}

uint64_t loop_timer(struct loop *l, int64_t ms, loop_timer_fn fn, void *ud)
{
    if (array_reserve(&l->timers, &l->timers_cap, l->timers_len + 1) < 0)
        return 0;
    struct timer *t = &l->timers[l->timers_len];
    *t = (struct timer){ loop_now_ms() + (ms > 0 ? ms : 0),
                         ++l->last_timer_id, fn, ud };
    sift_up(l->timers, l->timers_len++);
    return l->last_timer_id;
}

void loop_cancel(struct loop *l, uint64_t timer_id)
{
    for (size_t i = 0; i < l->timers_len; i++) {
        if (l->timers[i].id == timer_id) {
            remove_timer_at(l, i);
            return;
        }
    }
}

/* Fires the timers due now that existed when the turn began; a timer
 * added by a callback waits for the next turn even if already due. */
static void fire_timers(struct loop *l)
{
    int64_t now = loop_now_ms();
    uint64_t newest_old_id = l->last_timer_id;

    while (!l->stopping && l->timers_len > 0) {
        struct timer t = l->timers[0];
        if (t.due_ms > now || t.id > newest_old_id)
            return;
        remove_timer_at(l, 0);
        t.fn(l, t.ud);
    }
}

/* ---- hooks, waiting, running ---- */

int loop_before_sleep(struct loop *l, loop_hook_fn fn, void *ud)
{
    if (array_reserve(&l->hooks, &l->hooks_cap, l->hooks_len + 1) < 0)
        return -1;
    l->hooks[l->hooks_len++] = (struct hook){ fn, ud };
    return 0;
}

void loop_wait_at_most(struct loop *l, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    if (l->wait_bound_ms < 0 || ms < l->wait_bound_ms)
        l->wait_bound_ms = ms;
}

/* Milliseconds epoll_wait may sleep: -1 for no limit. */
static int wait_timeout(struct loop *l)
{
    int64_t timeout = l->wait_bound_ms;

    if (l->timers_len > 0) {
        int64_t until_timer = l->timers[0].due_ms - loop_now_ms();
        if (until_timer < 0)
            until_timer = 0;
        if (timeout < 0 || until_timer < timeout)
            timeout = until_timer;
    }
    return timeout > INT_MAX ? INT_MAX : (int)timeout;
}

/* A loop_stop() from outside a run ends the next run at once. */
int loop_run(struct loop *l)
{
    int rc = 0;

    while (!l->stopping) {
        for (size_t i = 0; i < l->hooks_len && !l->stopping; i++)
            l->hooks[i].fn(l, l->hooks[i].ud);
        if (l->stopping)
            break;

        int n = epoll_wait(l->epoll_fd, l->events, LOOP_MAX_EVENTS,
                           wait_timeout(l));
        l->wait_bound_ms = -1;
        if (n < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        for (int i = 0; i < n && !l->stopping; i++)
            dispatch(l, &l->events[i]);
        fire_timers(l);
    }
    l->stopping = false;
    return rc;
}

void loop_stop(struct loop *l)
{
    l->stopping = true;
}

static void on_signal(struct loop *l, int fd, int events, void *ud)
{
    struct signalfd_siginfo info;

    if (read(fd, &info, sizeof info) == (ssize_t)sizeof info)
        loop_stop(l);
}

/* ---- creation ---- */

struct loop *loop_new(void)
{
    sigset_t stop_signals;
    struct loop *l = calloc(1, sizeof *l);

    if (!l)
        return NULL;
    l->epoll_fd = -1;
    l->signal_fd = -1;
    l->wait_bound_ms = -1;

    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    /* Blocked so that they arrive through signal_fd; cannot fail. */
    sigprocmask(SIG_BLOCK, &stop_signals, &l->old_sigmask);
    signal(SIGPIPE, SIG_IGN);

    l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    l->signal_fd = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (l->epoll_fd < 0 || l->signal_fd < 0 ||
        loop_watch(l, l->signal_fd, LOOP_READ, on_signal, NULL) < 0)
        goto fail;
    return l;
fail:
    loop_free(l);
    return NULL;
}

void loop_free(struct loop *l)
{
    if (!l)
        return;
    if (l->signal_fd >= 0)
        close(l->signal_fd);
    if (l->epoll_fd >= 0)
        close(l->epoll_fd);
    sigprocmask(SIG_SETMASK, &l->old_sigmask, NULL);
    free(l->watches);
    free(l->timers);
    free(l->hooks);
    free(l);
}

/* loop.h -- the single-threaded event loop every process runs.
 *
 * A small loop in the spirit of Redis's ae: file descriptors watched with
 * epoll, one-shot timers on a monotonic millisecond clock, and a hook run
 * once per turn before the loop sleeps (where batched work is flushed).
 * Everything runs on the thread that calls loop_run(). */
#ifndef PAXOS_LOOP_H
#define PAXOS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

#define LOOP_READ  1
#define LOOP_WRITE 2

typedef void (*loop_fd_fn)(struct loop *l, int fd, int events, void *ud);
typedef void (*loop_timer_fn)(struct loop *l, void *ud);
typedef void (*loop_hook_fn)(struct loop *l, void *ud);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches fd for LOOP_READ and/or LOOP_WRITE; calling it again for a
 * watched fd changes its mask and callback. Returns 0 or -1. */
int loop_watch(struct loop *l, int fd, int events, loop_fd_fn fn, void *ud);
void loop_unwatch(struct loop *l, int fd);

/* Runs fn once, after ms milliseconds. Returns a timer id (> 0), or 0 when
 * out of memory. Cancelling an id that already fired is harmless. */
uint64_t loop_timer(struct loop *l, int64_t ms, loop_timer_fn fn, void *ud);
void loop_cancel(struct loop *l, uint64_t timer_id);

/* Adds a hook that runs at the end of every turn, before the loop waits
 * again; hooks run in the order they were added. Returns 0 or -1. */
int loop_before_sleep(struct loop *l, loop_hook_fn fn, void *ud);
/* Bounds the coming wait to ms milliseconds (a hook calls it each turn
 * when it needs to be woken, libmicrohttpd's timeout for example); the
 * smallest bound set during a turn wins, and it lasts one wait. */
void loop_wait_at_most(struct loop *l, int64_t ms);

/* Runs until loop_stop() is called or SIGINT/SIGTERM arrives. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* Monotonic clock, milliseconds. */
int64_t loop_now_ms(void);

#endif

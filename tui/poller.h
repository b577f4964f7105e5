/* poller.h -- polls every node's /status in parallel, every interval,
 * without ever blocking the caller (fetch.h, on the event loop), watches
 * the nodes the local cluster's endpoints file lists once they appear,
 * and sends the writes and the changes of the acceptor set the user asks
 * for.
 *
 * A round asks every node at once; each answer goes to the model as it
 * arrives, and when the last one is in (or the poll timeout passes) the
 * model is ticked and the round callback runs. Learners are also asked
 * for the values after the last slot the model holds. */
#ifndef PAXOS_TOP_POLLER_H
#define PAXOS_TOP_POLLER_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct app;
struct poller;

typedef void (*poller_round_fn)(struct app *app, void *ud);
/* status: HTTP status (0: no answer); body: the answer or the error. */
typedef void (*poller_write_fn)(struct app *app, void *ud, int status,
                                const char *body);
/* in_force: the change is made; outcome: what happened, in one line. */
typedef void (*poller_change_fn)(struct app *app, void *ud, bool in_force,
                                 const char *outcome);

/* Starts polling now and every app->opt.interval_ms. */
struct poller *poller_start(struct app *app, poller_round_fn fn, void *ud);
/* Also frees what in-flight requests point to: call it once the loop no
 * longer runs, right before or after fetch_free(). */
/* Once the loop no longer runs: ends the requests in flight (it frees
 * app->fetch, setting it to NULL), then frees the poller. */
void poller_stop(struct poller *p);
/* Replaces the round callback (main starts the poller; the mode it runs
 * then sets its own). fn may be NULL. */
void poller_on_round(struct poller *p, poller_round_fn fn, void *ud);
/* Polls again now (a key press, a finished write). */
void poller_poll_now(struct poller *p);
/* Pauses or resumes polling (the dashboard's pause key). */
void poller_pause(struct poller *p, bool paused);
size_t poller_rounds(const struct poller *p);

/* The node poller_write would write to (node as there): its model index,
 * or -1 when there is none. */
int poller_target(const struct poller *p, const char *node, bool direct);
/* Writes value: to a client node's /send, or with direct to a proposer's
 * /propose (node NULL: the configured or the first client / the leader).
 * The outcome goes to the model and to fn. Returns 0, or -1 when there is
 * no node to write to (fn is then not called). */
int poller_write(struct poller *p, const char *node, bool direct,
                 const char *value, poller_write_fn fn, void *ud);
/* Sends change c as POST /voters to the proposer direct writes go to
 * (--proposer, else the leader, else the first proposer that answers; a
 * follower forwards it). The outcome goes to the model (an event) and to
 * fn. Returns 0, or -1 when there is no proposer or the request cannot
 * start (fn is then not called). */
int poller_change(struct poller *p, const struct model_change *c,
                  poller_change_fn fn, void *ud);

#endif

/* role_proposer.h -- the proposer node's state and the glue its files
 * share: role_proposer.c (writes, reads and the Paxos messages on HTTP),
 * writes.c (client nodes' batches of writes) and reconfig.c (the routes
 * that show and change the voters). */
#ifndef PAXOS_ROLE_PROPOSER_H
#define PAXOS_ROLE_PROPOSER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/proposer.h"
#include "node.h"

struct proposer_node {
    struct proposer p;
    uint64_t direct_seq;        /* identity for writes sent without one */
    enum proposer_state last_state;
    uint32_t last_leader;
    uint64_t forwarded, refused;
};

/* Sends what the proposer core asked for and answers finished requests. */
void proposer_drain(struct node *n);
/* Forwards req to the leader with body, once; 503 when that is not
 * possible. write: the forwarded write's identity, NULL otherwise. */
void proposer_forward(struct node *n, struct http_request *req,
                      const char *path, const char *body,
                      const struct pvalue *write);
/* 503: the request was not carried out; 504: a write whose slot was
 * proposed, that a later leader may still choose ("status": "unknown").
 * Names the leader when known. */
void proposer_reply_refused(struct node *n, struct http_request *req,
                            int status, const char *why);

/* writes.c: POST /writes, a client node's batch. Its writes are the
 * proposer core's tokens for which writes_is_token() is true; drain
 * hands their outcome to writes_chosen() or writes_failed(). */
void writes_on_post(struct http_request *req, void *ud);
bool writes_is_token(const void *token);
void writes_chosen(void *token, uint64_t slot, struct ballot ballot);
void writes_failed(void *token, int status, const char *why);

/* reconfig.c: GET and POST /voters. */
void reconfig_on_get(struct http_request *req, void *ud);
void reconfig_on_post(struct http_request *req, void *ud);
/* A change a client asked for is in force, chosen at slot. */
void reconfig_reply_changed(struct node *n, struct http_request *req,
                            uint64_t slot);

#endif

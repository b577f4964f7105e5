/* codec.h -- the JSON form of every message nodes exchange (the messages
 * themselves are in core/msg.h). msg_decode() is strict: wrong types,
 * missing required fields, out-of-range numbers, values over the size
 * limit or nesting deeper than a message can have are rejected with a
 * reason.
 *
 *   PREPARE    {"from","ballot","from_slot"}
 *   PROMISE    {"from","ok","ballot","commit",
 *               "entries":[{"slot","ballot",value}],"member","configs",
 *               "cluster"}
 *              (entries: the slots accepted above commit; ok=false:
 *              ballot is the acceptor's promised ballot)
 *   ACCEPT     {"from","ballot","commit","entries":[{"slot",value}],
 *               "configs"}
 *   ACCEPTED   {"from","ok","ballot","member"}   (reply to ACCEPT)
 *   LEARN      {"from","ballot","commit","entries":[{"slot",value}]}
 *   HEARTBEAT  {"from","ballot","commit","configs"}
 *   LISTING    {"from","ballot","commit","from_slot","upto","trimmed",
 *               "entries":[{"slot","ballot",value}],"member","configs",
 *               "cluster","founding"}  (acceptor's log: it covers the
 *              slots above trimmed, up to upto)
 *   LEARNED    {"from","ballot","commit","from_slot","upto","trimmed",
 *               "entries":[{"slot","ballot",value}]}  (a learner's copy
 *              of the chosen log, for another learner)
 *   NOTIFY     {"from","applied":[[slot,seq]]}  (learner to client: the
 *              slots where it applied the client's writes, by seq; decoded
 *              into entries with value.seq alone)
 *   PROPOSE    {value}                            (a write to a proposer)
 *   CHOSEN     {"slot","ballot","from",value}     (reply to PROPOSE)
 *   WRITES     {"from","writes":[value]}  (a client node's batch; every
 *              value names its writer)
 *   WRITTEN    {"from","results":[{"slot","ballot"} | {"status","error"}]}
 *              (reply to WRITES, one result per write, in order)
 *   IDENTITY   {"from","member","active","commit","cluster"[,"configs",
 *               "founding"]}   (an acceptor's identity; cluster "" and no
 *              configurations before it is admitted)
 *
 * "member" and "cluster" are 16 lowercase hex digits. "configs" is the
 * chain of configurations after commit, oldest first (1 to 4, each with a
 * higher epoch and first slot); it and "founding" hold whole
 * configurations, {"epoch","first_slot","voters":[{"id","name","host",
 * "port","member"}]} (core/voters.h). A ballot is {"round":R,"node":N}.
 * "value" fields are "value":"text","client_id":"9","seq":17, or
 * "noop":true; a client's PROPOSE may not use a client_id that starts
 * with '#' (the cluster's own writers). */
#ifndef PAXOS_CODEC_H
#define PAXOS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "core/msg.h"
#include "net/jsonwrite.h"

/* Returns a malloc'd JSON text, or NULL when out of memory. For PROPOSE
 * and CHOSEN a value with client NULL is written without client_id. */
char *msg_encode(const struct msg *m);

/* Writes b as {"round":R,"node":N}, the form every message uses. */
void codec_write_ballot(struct jw *w, struct ballot b);

/* Parses text as a message of the given type. Returns 0, or -1 with a
 * reason in err (m is then empty). max_value bounds each value's bytes.
 * For PROPOSE, client_id may be a string or a number, and client_id and
 * seq may be absent (client NULL, seq 0). */
int msg_decode(enum msg_type type, const char *text, size_t len,
               size_t max_value, struct msg *m, char *err, size_t errlen);

/* For status pages: {"round":R,"node":N}, and a slot's value as
 * {"slot":S,"value":...,"client_id":...,"seq":...}, a no-op, or a
 * configuration ({"slot":S,"config":{"voters":[...]}}). */
struct json_object *codec_ballot_json(struct ballot b);
struct json_object *codec_value_json(uint64_t slot, const struct pvalue *v);

#endif

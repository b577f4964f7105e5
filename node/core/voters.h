/* voters.h -- a configuration of the acceptor set: the acceptors whose
 * votes count, from which slot of the log on, and its epoch.
 *
 * A voter is a node (id, name, address) and the member identity of its
 * data directory: an acceptor that lost its directory makes a new member
 * identity, and its votes no longer count until a configuration names the
 * new identity. Quorums are majorities of the voters, never of anything
 * else (gossip, SEED_NODES).
 *
 * Configurations are values in the log: the one chosen at slot s governs
 * the slots from s + VOTERS_ALPHA on, until the next (Lamport's alpha: a
 * leader proposes slot t only once every slot up to t - VOTERS_ALPHA is
 * chosen, so it always knows which voters decide t). Such a value holds
 * only the voters ({"voters":[...]}); its epoch (one more than the
 * configuration before it) and its first slot (s + VOTERS_ALPHA) come
 * from where the log holds it. Messages and files carry whole
 * configurations ({"epoch":E,"first_slot":S,"voters":[...]}). The first
 * configuration, epoch 1 from slot 1, is the founding one: the acceptors
 * record it when the cluster is created, and the cluster's identity is a
 * hash of it.
 *
 * A chain is what a node knows of the configurations after a slot it
 * knows chosen (its commit index): the one in force at the next slot,
 * then those chosen already and not yet in force. */
#ifndef PAXOS_VOTERS_H
#define PAXOS_VOTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "ballot.h"
#include "core/cluster.h"
#include "jsonread.h"

#define VOTERS_MAX CLUSTER_MAX_ACCEPTORS
/* Slots between a configuration value and the first slot it governs. */
#define VOTERS_ALPHA 1024
/* Configurations a chain holds: the one in force and those to come. */
#define VOTERS_CHAIN_MAX 4
#define MEMBER_ID_LEN 16            /* hex digits of a member identity */
#define CLUSTER_ID_LEN 16           /* hex digits of a cluster identity */
/* The writer id of a configuration value in the log: no client can use
 * it (codec refuses writer ids that start with '#'). */
#define VOTERS_WRITER "#voters"

struct voter {
    struct node_info node;
    char member[MEMBER_ID_LEN + 1];
};

struct voters {
    uint64_t epoch;                 /* 0: none known */
    uint64_t first_slot;            /* the first slot it governs */
    size_t n;
    struct voter v[VOTERS_MAX];
};

size_t voters_quorum(const struct voters *v);
/* The index of the voter with this node id and member identity, or -1
 * (also when the node votes under another identity). */
int voters_find(const struct voters *v, uint32_t id, const char *member);
/* The index of the voter with this node id, whatever its identity, or -1. */
int voters_find_node(const struct voters *v, uint32_t id);
/* Voters of a that b has too (same node, same identity). */
size_t voters_common(const struct voters *a, const struct voters *b);
bool voters_same(const struct voters *a, const struct voters *b);

/* The whole configuration as JSON (malloc'd), or only its voters, the
 * form of a value in the log. NULL when out of memory. */
char *voters_encode(const struct voters *v);
char *voters_encode_value(const struct voters *v);
/* Parses either form strictly (unique node ids, 1..VOTERS_MAX voters,
 * member identities of MEMBER_ID_LEN hex digits); the value form leaves
 * epoch and first_slot 0. Returns 0, or -1 with a reason in err. */
int voters_decode(const char *text, size_t len, struct voters *out,
                  char *err, size_t errlen);

/* The whole configuration as a JSON object, for messages; and only its
 * voters (the form of a log value). */
struct json_object *voters_json(const struct voters *v);
struct json_object *voters_value_json(const struct voters *v);
/* Reads a configuration object (either form) found at `at` (NULL: the
 * top level), as voters_decode does. Returns 0 or -1. */
int voters_read(struct jr *d, json_object *obj, const struct jr_path *at,
                struct voters *out);

/* True when a log value is a configuration. */
bool voters_is_value(const struct pvalue *v);
/* Makes the log value of v (its voters); the caller frees it. */
int voters_to_value(const struct voters *v, struct pvalue *out);
/* The configuration a log value at slot makes, after prev (whose epoch
 * is 0 when it is the founding one, not known yet: epoch 1). Returns 0,
 * or -1 when the value is not a valid configuration. */
int voters_from_value(const struct pvalue *value, uint64_t slot,
                      const struct voters *prev, struct voters *out);

/* A change of the voters: add a voter (or give a voter a new member
 * identity: a re-admission), remove one, or put a new voter in place of
 * an old one. */
enum voters_change {
    VOTERS_ADD,                 /* add: who */
    VOTERS_REMOVE,              /* remove: node `old` */
    VOTERS_REPLACE,             /* remove node `old`, add who */
};
struct voters_chain {
    size_t n;                       /* 0: nothing known yet */
    struct voters c[VOTERS_CHAIN_MAX];  /* by first slot; c[0] is in
                                           force after the commit index */
};

/* The configuration that governs slot (NULL: nothing known, or a slot
 * before the chain's first). */
const struct voters *chain_at(const struct voters_chain *ch, uint64_t slot);
/* The newest configuration of the chain (NULL: empty). */
const struct voters *chain_last(const struct voters_chain *ch);
/* A chain of one configuration. */
void chain_start(struct voters_chain *ch, const struct voters *v);
/* A log value chosen at slot: when it is a valid configuration, it joins
 * the chain, in force from slot + VOTERS_ALPHA (returns 1); otherwise the
 * chain is unchanged (0). Returns -1, unchanged, when the chain is full
 * (leaders never let that happen: one change at a time). */
int chain_take(struct voters_chain *ch, const struct pvalue *value,
               uint64_t slot);
/* Every slot up to commit is chosen: the configurations no slot after it
 * needs any more are dropped. */
void chain_advance(struct voters_chain *ch, uint64_t commit);
/* True when some configuration of the chain names this voter. */
bool chain_names(const struct voters_chain *ch, uint32_t id,
                 const char *member);
/* The newer of two chains: the one whose newest configuration has the
 * higher epoch (a leader's chain after a higher commit index). */
bool chain_newer(const struct voters_chain *a, const struct voters_chain *b);
/* A chain as JSON ([config, ...]) and back (strict; epochs and first
 * slots increasing). */
struct json_object *chain_json(const struct voters_chain *ch);
int chain_read(struct jr *d, json_object *obj, const struct jr_path *at,
               struct voters_chain *out);
/* The same as text ({"configs":[...]}, malloc'd; NULL when out of
 * memory), and back: returns 0, or -1 with a reason in err. */
char *chain_encode(const struct voters_chain *ch);
int chain_decode(const char *text, size_t len, struct voters_chain *out,
                 char *err, size_t errlen);

/* The voters after a change of cur (epoch and first slot are left as
 * they are). Returns 0, or -1 with the reason in err when the change
 * makes no sense: adding a voter that votes already, removing one that
 * does not, or the last one. */
int voters_change(const struct voters *cur, enum voters_change change,
                  uint32_t old, const struct voter *who, struct voters *out,
                  char *err, size_t errlen);

/* The cluster identity a founding configuration makes: CLUSTER_ID_LEN hex
 * digits (a hash of its voters), in out[CLUSTER_ID_LEN + 1]. */
void voters_cluster_id(const struct voters *founding, char *out);

#endif

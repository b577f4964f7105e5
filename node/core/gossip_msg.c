/* gossip_msg.c -- encoding and strict decoding of gossip messages; see
 * gossip_msg.h. */
#include "core/gossip_msg.h"

#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

/* object > members > member > ... : four levels; the ballot in "leader"
 * is object > leader > ballot > round, also four. */
#define GOSSIP_MAX_DEPTH 4

static const char *const type_names[] = {
    [GOSSIP_PING] = "ping", [GOSSIP_PING_REQ] = "ping-req",
    [GOSSIP_GOSSIP] = "gossip", [GOSSIP_SYNC] = "sync",
    [GOSSIP_ACK] = "ack", [GOSSIP_NACK] = "nack",
};
#define N_TYPES (sizeof type_names / sizeof type_names[0])

static json_object *member_to_json(const struct member_update *u)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "id", json_object_new_int64(u->info.id));
    json_object_object_add(o, "name", json_object_new_string(u->info.name));
    json_object_object_add(o, "role", json_object_new_string(role_name(u->info.role)));
    json_object_object_add(o, "host", json_object_new_string(u->info.host));
    json_object_object_add(o, "port", json_object_new_int(u->info.port));
    json_object_object_add(o, "state", json_object_new_string(member_state_name(u->state)));
    json_object_object_add(o, "incarnation",
                           json_object_new_int64((int64_t)u->incarnation));
    return o;
}

char *gossip_encode(const struct gossip_msg *g)
{
    json_object *o = json_object_new_object();
    json_object *members = json_object_new_array();
    char *text;

    json_object_object_add(o, "type", json_object_new_string(type_names[g->type]));
    json_object_object_add(o, "from", member_to_json(&g->from));
    if (g->type != GOSSIP_GOSSIP && g->type != GOSSIP_SYNC)
        json_object_object_add(o, "probe", json_object_new_int64((int64_t)g->probe));
    if (g->type == GOSSIP_PING_REQ)
        json_object_object_add(o, "target", json_object_new_int64(g->target));
    if (g->leader) {
        json_object *leader = json_object_new_object();
        json_object *ballot = json_object_new_object();
        json_object_object_add(ballot, "round", json_object_new_int64(g->leader_ballot.round));
        json_object_object_add(ballot, "node", json_object_new_int64(g->leader_ballot.node));
        json_object_object_add(leader, "id", json_object_new_int64(g->leader));
        json_object_object_add(leader, "ballot", ballot);
        json_object_object_add(o, "leader", leader);
    }
    for (size_t i = 0; i < g->n_members; i++)
        json_object_array_add(members, member_to_json(&g->members[i]));
    json_object_object_add(o, "members", members);
    text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

/* Reads a string field into buf (at most cap - 1 bytes). */
static int read_text(struct jr *d, json_object *obj, const struct jr_path *field,
                     char *buf, size_t cap)
{
    json_object *val = jr_member(obj, field);
    char *s;

    if (!val)
        return jr_fail_field(d, field, "is missing");
    if (jr_string(d, val, field, cap - 1, &s) != 0)
        return -1;
    memcpy(buf, s, strlen(s) + 1);
    free(s);
    return 0;
}

/* Reads a string field that must be one of names[0..n). */
static int read_name(struct jr *d, json_object *obj, const struct jr_path *field,
                     const char *const *names, size_t n, int *out)
{
    char buf[16];

    if (read_text(d, obj, field, buf, sizeof buf) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(buf, names[i]) == 0) {
            *out = (int)i;
            return 0;
        }
    return jr_fail_field(d, field, "'%s' is not a known name", buf);
}

static int read_member(struct jr *d, json_object *obj, const struct jr_path *at,
                       struct member_update *u)
{
    static const char *const roles[] = { "proposer", "acceptor", "learner", "client" };
    static const char *const states[] = { "alive", "suspect", "dead" };
    uint64_t port;
    int role = 0, state = 0;

    if (!obj || !json_object_is_type(obj, json_type_object))
        return jr_fail_field(d, at, "must be an object");
    if (jr_u32(d, obj, &(struct jr_path){ at, "id", 0 }, &u->info.id) != 0 ||
        read_text(d, obj, &(struct jr_path){ at, "name", 0 }, u->info.name,
                  sizeof u->info.name) != 0 ||
        read_name(d, obj, &(struct jr_path){ at, "role", 0 }, roles, 4, &role) != 0 ||
        read_text(d, obj, &(struct jr_path){ at, "host", 0 }, u->info.host,
                  sizeof u->info.host) != 0 ||
        jr_uint(d, obj, &(struct jr_path){ at, "port", 0 }, 1, 65535, &port) != 0 ||
        read_name(d, obj, &(struct jr_path){ at, "state", 0 }, states, 3, &state) != 0 ||
        jr_uint(d, obj, &(struct jr_path){ at, "incarnation", 0 }, 0, INT64_MAX,
                &u->incarnation) != 0)
        return -1;
    if (u->info.id == 0 || !u->info.host[0] || !u->info.name[0])
        return jr_fail_field(d, at, "needs a non-zero id, a name and a host");
    u->info.role = (enum role)role;
    u->info.port = (uint16_t)port;
    u->state = (enum member_state)state;
    return 0;
}

static int read_leader(struct jr *d, json_object *root, struct gossip_msg *g)
{
    const struct jr_path field = { NULL, "leader", 0 };
    json_object *leader = jr_member(root, &field);

    if (!leader)
        return 0;
    if (!json_object_is_type(leader, json_type_object))
        return jr_fail_field(d, &field, "must be an object");
    if (jr_u32(d, leader, &(struct jr_path){ &field, "id", 0 }, &g->leader) != 0 ||
        jr_ballot(d, leader, &field, &g->leader_ballot) != 0)
        return -1;
    return 0;
}

static int read_members(struct jr *d, json_object *root, struct gossip_msg *g)
{
    const struct jr_path field = { NULL, "members", 0 };
    json_object *array = jr_member(root, &field);
    size_t n;

    if (!array)
        return 0;
    if (!json_object_is_type(array, json_type_array))
        return jr_fail_field(d, &field, "must be an array");
    n = json_object_array_length(array);
    if (n > GOSSIP_MAX_MEMBERS)
        return jr_fail_field(d, &field, "has %zu members, the limit is %d", n,
                             GOSSIP_MAX_MEMBERS);
    if (!n)
        return 0;
    if (!(g->members = calloc(n, sizeof(*g->members))))
        return jr_fail(d, "out of memory");
    g->n_members = n;
    for (size_t i = 0; i < n; i++)
        if (read_member(d, json_object_array_get_idx(array, i),
                        &(struct jr_path){ &field, NULL, i }, &g->members[i]) != 0)
            return -1;
    return 0;
}

static int read_gossip(struct jr *d, json_object *root, struct gossip_msg *g)
{
    const struct jr_path from = { NULL, "from", 0 };
    int type = 0;

    if (read_name(d, root, &(struct jr_path){ NULL, "type", 0 }, type_names,
                  N_TYPES, &type) != 0 ||
        read_member(d, jr_member(root, &from), &from, &g->from) != 0)
        return -1;
    g->type = (enum gossip_type)type;
    if (g->type != GOSSIP_GOSSIP && g->type != GOSSIP_SYNC &&
        jr_uint(d, root, &(struct jr_path){ NULL, "probe", 0 }, 0, INT64_MAX,
                &g->probe) != 0)
        return -1;
    if (g->type == GOSSIP_PING_REQ &&
        jr_u32(d, root, &(struct jr_path){ NULL, "target", 0 }, &g->target) != 0)
        return -1;
    return read_leader(d, root, g) || read_members(d, root, g) ? -1 : 0;
}

int gossip_decode(const char *text, size_t len, struct gossip_msg *g,
                  char *err, size_t errlen)
{
    struct jr d = { err, errlen };
    json_object *root = NULL;
    int rc = -1;

    memset(g, 0, sizeof(*g));
    if (jr_parse(&d, text, len, GOSSIP_MAX_DEPTH, &root) == 0)
        rc = read_gossip(&d, root, g);
    if (rc != 0)
        gossip_msg_free(g);
    json_object_put(root);
    return rc;
}

void gossip_msg_free(struct gossip_msg *g)
{
    free(g->members);
    memset(g, 0, sizeof(*g));
}

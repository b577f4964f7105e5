/* membership.c -- SWIM-style failure detection and gossip; see
 * membership.h for the rules. */
#include "core/membership.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

static const char *const state_names[] = {
    [MEMBER_ALIVE] = "alive", [MEMBER_SUSPECT] = "suspect",
    [MEMBER_DEAD] = "dead",
};

const char *member_state_name(enum member_state s)
{
    return (size_t)s < 3 ? state_names[s] : "unknown";
}

int member_state_parse(const char *s, enum member_state *out)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, state_names[i]) == 0) {
            *out = (enum member_state)i;
            return 0;
        }
    return -1;
}

static uint64_t membership_random(struct membership *m)
{
    uint64_t x = m->rng;        /* xorshift64* */

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int64_t membership_suspicion_ms(const struct membership *m)
{
    double scale = log10((double)(m->n_members > 1 ? m->n_members : 1));

    if (scale < 1)
        scale = 1;
    return (int64_t)(m->set.suspicion_mult * scale * m->set.probe_interval_ms);
}

int membership_retransmits(const struct membership *m)
{
    return m->set.retransmit_mult *
           (int)ceil(log10((double)m->n_members + 1));
}

static void membership_push(struct membership *m, struct membership_out o)
{
    if (array_reserve(&m->out, &m->cap_out, m->n_out + 1) < 0)
        return;                 /* as if the message were lost */
    m->out[m->n_out++] = o;
}

static struct member *membership_member(struct membership *m, uint32_t id)
{
    for (size_t i = 0; i < m->n_members; i++)
        if (m->members[i].info.id == id)
            return &m->members[i];
    return NULL;
}

const struct member *membership_find(const struct membership *m, uint32_t id)
{
    return membership_member((struct membership *)m, id);
}

static void membership_set_state(struct membership *m, struct member *x,
                                 enum member_state state, uint64_t inc,
                                 int64_t now)
{
    if (x->state != state)
        x->state_since = now;
    x->state = state;
    x->incarnation = inc;
    x->transmits_left = membership_retransmits(m);
}

static struct member *membership_add(struct membership *m,
                                     const struct node_info *info,
                                     enum member_state state, uint64_t inc,
                                     int64_t now)
{
    struct member *x;

    if (m->n_members == MEMBERSHIP_MAX_MEMBERS)
        return NULL;
    x = &m->members[m->n_members++];
    memset(x, 0, sizeof(*x));
    x->info = *info;
    x->last_heard = now;
    x->state_since = now;
    membership_set_state(m, x, state, inc, now);
    return x;
}

int membership_init(struct membership *m, const struct membership_settings *set,
                    const struct node_info *self, uint64_t incarnation,
                    const struct node_info *seeds, size_t n_seeds,
                    int64_t now)
{
    memset(m, 0, sizeof(*m));
    m->set = *set;
    m->self = self->id;
    m->rng = (self->id + 1) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)incarnation;
    m->members = calloc(MEMBERSHIP_MAX_MEMBERS, sizeof(*m->members));
    m->order = calloc(MEMBERSHIP_MAX_MEMBERS, sizeof(*m->order));
    if (!m->members || !m->order) {
        membership_free(m);
        return -1;
    }
    membership_add(m, self, MEMBER_ALIVE, incarnation, now);
    for (size_t i = 0; i < n_seeds; i++)
        if (seeds[i].id != self->id && !membership_member(m, seeds[i].id))
            membership_add(m, &seeds[i], MEMBER_ALIVE, 0, now);
    m->probe_due = now + set->probe_interval_ms;
    m->gossip_due = now + set->gossip_interval_ms;
    m->push_pull_due = now;     /* join: exchange everything at once */
    return 0;
}

void membership_free(struct membership *m)
{
    free(m->members);
    free(m->order);
    free(m->out);
    memset(m, 0, sizeof(*m));
}

/* The next member to probe: round-robin over a shuffled order, made anew
 * each round, skipping the dead. 0 when there is nobody. */
static uint32_t membership_next_target(struct membership *m)
{
    for (int pass = 0; pass < 2; pass++) {
        while (m->next_probe < m->n_order) {
            struct member *x = membership_member(m, m->order[m->next_probe++]);
            if (x && x->state != MEMBER_DEAD)
                return x->info.id;
        }
        m->n_order = 0;
        for (size_t i = 1; i < m->n_members; i++)
            m->order[m->n_order++] = m->members[i].info.id;
        for (size_t i = m->n_order; i > 1; i--) {
            size_t j = membership_random(m) % i;
            uint32_t t = m->order[i - 1];
            m->order[i - 1] = m->order[j];
            m->order[j] = t;
        }
        m->next_probe = 0;
    }
    return 0;
}

/* Up to want random members other than this node and except, that are
 * not dead; their ids go to out. Returns how many. */
static size_t membership_pick(struct membership *m, uint32_t except,
                              uint32_t *out, size_t want)
{
    size_t n = 0, seen = 0;

    /* reservoir sampling over the eligible members */
    for (size_t i = 1; i < m->n_members; i++) {
        const struct member *x = &m->members[i];
        if (x->state == MEMBER_DEAD || x->info.id == except)
            continue;
        seen++;
        if (n < want)
            out[n++] = x->info.id;
        else {
            size_t j = membership_random(m) % seen;
            if (j < want)
                out[j] = x->info.id;
        }
    }
    return n;
}

static void membership_send_indirect(struct membership *m)
{
    uint32_t via[MEMBERSHIP_MAX_INDIRECT];
    size_t k = (size_t)m->set.indirect_checks;
    size_t n = membership_pick(m, m->probing, via,
                               k < MEMBERSHIP_MAX_INDIRECT ? k
                                                           : MEMBERSHIP_MAX_INDIRECT);

    m->indirect_sent = true;
    for (size_t i = 0; i < n; i++)
        membership_push(m, (struct membership_out){
            .kind = MEMBERSHIP_PING_REQ, .to = via[i],
            .target = m->probing, .probe = m->probe_seq });
}

static void membership_suspect(struct membership *m, uint32_t id, int64_t now)
{
    struct member *x = membership_member(m, id);

    if (x && x->state == MEMBER_ALIVE)
        membership_set_state(m, x, MEMBER_SUSPECT, x->incarnation, now);
}

static bool membership_has_updates(const struct membership *m)
{
    for (size_t i = 0; i < m->n_members; i++)
        if (m->members[i].transmits_left > 0)
            return true;
    return false;
}

void membership_tick(struct membership *m, int64_t now)
{
    if (m->probing) {
        if (!m->indirect_sent && now - m->probe_sent_at >= m->set.probe_timeout_ms)
            membership_send_indirect(m);
        if (now - m->probe_sent_at >= m->set.probe_interval_ms) {
            membership_suspect(m, m->probing, now);
            m->probing = 0;
        }
    }
    if (!m->probing && now >= m->probe_due) {
        m->probe_due = now + m->set.probe_interval_ms;
        m->probing = membership_next_target(m);
        if (m->probing) {
            m->probe_sent_at = now;
            m->indirect_sent = false;
            membership_push(m, (struct membership_out){
                .kind = MEMBERSHIP_PING, .to = m->probing,
                .probe = ++m->probe_seq });
        }
    }
    for (size_t i = 1; i < m->n_members; i++) {
        struct member *x = &m->members[i];
        if (x->state == MEMBER_SUSPECT &&
            now - x->state_since >= membership_suspicion_ms(m))
            membership_set_state(m, x, MEMBER_DEAD, x->incarnation, now);
    }
    if (now >= m->gossip_due) {
        uint32_t to[16];
        size_t want = (size_t)m->set.gossip_nodes < 16 ? (size_t)m->set.gossip_nodes : 16;
        size_t n = membership_has_updates(m) ? membership_pick(m, 0, to, want) : 0;
        m->gossip_due = now + m->set.gossip_interval_ms;
        for (size_t i = 0; i < n; i++)
            membership_push(m, (struct membership_out){
                .kind = MEMBERSHIP_GOSSIP, .to = to[i] });
    }
    if (now >= m->push_pull_due) {
        uint32_t to;
        m->push_pull_due = now + m->set.push_pull_interval_ms;
        if (membership_pick(m, 0, &to, 1))
            membership_push(m, (struct membership_out){
                .kind = MEMBERSHIP_PUSH_PULL, .to = to });
    }
}

void membership_probe_result(struct membership *m, uint64_t probe, bool ack,
                             bool indirect, int64_t now)
{
    if (!m->probing || probe != m->probe_seq)
        return;                 /* an answer to an older probe */
    if (ack) {
        membership_heard(m, m->probing, now);
        m->probing = 0;
    } else if (!indirect && !m->indirect_sent) {
        membership_send_indirect(m);    /* refused at once: ask others now */
    }
}

void membership_heard(struct membership *m, uint32_t id, int64_t now)
{
    struct member *x = membership_member(m, id);

    if (x)
        x->last_heard = now;
}

int membership_check_sender(const struct membership *m,
                            const struct member_update *sender)
{
    const struct member *x = membership_find(m, sender->info.id);

    if (sender->info.id == 0 || sender->info.id == m->self ||
        sender->state != MEMBER_ALIVE)
        return -1;
    /* Names may differ: each node derives the names of the nodes in its
     * own seed list from their rank there. A role never does. */
    if (x && x->info.role != sender->info.role)
        return -1;
    return 0;
}

/* Someone says this node is suspect or dead, or knows a later life of
 * it: claim a newer incarnation, alive. */
static void membership_refute(struct membership *m, uint64_t heard, int64_t now)
{
    struct member *self = &m->members[0];

    if (heard < self->incarnation)
        return;
    membership_set_state(m, self, MEMBER_ALIVE, heard + 1, now);
    m->refutations++;
}

static bool membership_overrides(const struct member_update *u,
                                 const struct member *x)
{
    if (u->incarnation != x->incarnation)
        return u->incarnation > x->incarnation;
    return u->state > x->state;     /* dead > suspect > alive */
}

void membership_merge(struct membership *m, const struct member_update *u,
                      int64_t now)
{
    struct member *x;

    if (u->info.id == m->self) {
        if (u->state != MEMBER_ALIVE || u->incarnation > m->members[0].incarnation)
            membership_refute(m, u->incarnation, now);
        return;
    }
    x = membership_member(m, u->info.id);
    if (!x) {
        if (u->state != MEMBER_DEAD)
            membership_add(m, &u->info, u->state, u->incarnation, now);
        return;
    }
    if (!membership_overrides(u, x))
        return;
    if (u->incarnation > x->incarnation)
        x->info = u->info;      /* a new life may have a new address */
    membership_set_state(m, x, u->state, u->incarnation, now);
}

static struct member_update membership_update_of(const struct member *x)
{
    return (struct member_update){ x->info, x->state, x->incarnation };
}

size_t membership_take_updates(struct membership *m, struct member_update *u,
                               size_t max)
{
    struct member *chosen[64];
    size_t n = 0;

    if (max > 64)
        max = 64;
    /* keep the max members with the most transmissions left, most first */
    for (size_t i = 0; i < m->n_members; i++) {
        struct member *x = &m->members[i];
        size_t at;
        if (x->transmits_left <= 0)
            continue;
        if (n == max && x->transmits_left <= chosen[n - 1]->transmits_left)
            continue;
        at = n < max ? n++ : n - 1;
        while (at > 0 && chosen[at - 1]->transmits_left < x->transmits_left) {
            chosen[at] = chosen[at - 1];
            at--;
        }
        chosen[at] = x;
    }
    for (size_t i = 0; i < n; i++) {
        u[i] = membership_update_of(chosen[i]);
        chosen[i]->transmits_left--;
    }
    return n;
}

size_t membership_snapshot(const struct membership *m, struct member_update *u,
                           size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < m->n_members && n < max; i++)
        u[n++] = membership_update_of(&m->members[i]);
    return n;
}

struct member_update membership_self(const struct membership *m)
{
    return membership_update_of(&m->members[0]);
}

void membership_leader(struct membership *m, uint32_t leader, struct ballot b)
{
    if (leader && ballot_cmp(b, m->leader_ballot) > 0) {
        m->leader = leader;
        m->leader_ballot = b;
    }
}

void membership_out_clear(struct membership *m)
{
    m->n_out = 0;
}

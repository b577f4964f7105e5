/* view_nodes.c -- the main view: one row per node with its role, address,
 * whether it answers (or for how long it has not; for an acceptor that
 * answers and does not vote, why: waiting, joining...), the leader mark, its
 * ballots, its last accepted value, its chosen and applied indexes, the
 * members it sees alive/suspect/dead, and the poll latency. Columns drop
 * or narrow by priority on a narrow terminal; the sort column is lit. */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "ui.h"

enum { C_MARK, C_NAME, C_ROLE, C_ADDRESS, C_STATE, C_BALLOT, C_PROMISED,
       C_ACCEPTED, C_CHOSEN, C_APPLIED, C_MEMBERS, C_LATENCY, C_N };

static const struct column columns[C_N] = {
    [C_MARK]     = { "",         1,  1,  0, false, false },
    [C_NAME]     = { "NAME",     10, 9,  0, false, false },
    [C_ROLE]     = { "ROLE",     8,  8,  6, false, false },
    [C_ADDRESS]  = { "ADDRESS",  21, 21, 7, false, false },
    [C_STATE]    = { "STATE",    8,  8,  0, false, false },
    [C_BALLOT]   = { "BALLOT",   7,  6,  4, true, false },
    [C_PROMISED] = { "PROMISED", 8,  8,  5, true, false },
    [C_ACCEPTED] = { "ACCEPTED", 18, 10, 3, false, true },
    [C_CHOSEN]   = { "CHOSEN",   6,  6,  1, true, false },
    [C_APPLIED]  = { "APPLIED",  7,  7,  1, true, false },
    [C_MEMBERS]  = { "A/S/D",    8,  6,  3, false, false },
    [C_LATENCY]  = { "LAT",      5,  5,  4, true, false },
};

/* The table column of each sort key. */
static const int sort_column[COL_COUNT] = {
    [COL_NAME] = C_NAME, [COL_ROLE] = C_ROLE, [COL_ADDRESS] = C_ADDRESS,
    [COL_UP] = C_STATE, [COL_BALLOT] = C_BALLOT, [COL_PROMISED] = C_PROMISED,
    [COL_ACCEPTED] = C_ACCEPTED, [COL_CHOSEN] = C_CHOSEN,
    [COL_APPLIED] = C_APPLIED, [COL_MEMBERS] = C_MEMBERS,
    [COL_LATENCY] = C_LATENCY,
};

static bool is(const struct node_view *n, const char *role)
{
    return strcmp(model_node_role(n), role) == 0;
}

static void fmt_ballot(char *buf, size_t len, struct ballot b)
{
    if (ballot_is_zero(b))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%u.%u", b.round, b.node);
}

static void fmt_index(char *buf, size_t len, bool shown, uint64_t v)
{
    if (shown)
        snprintf(buf, len, "%llu", (unsigned long long)v);
    else
        snprintf(buf, len, "-");
}

/* "up" (or why an acceptor that answers does not vote), or "down" with
 * the time since the last answer. */
static void fmt_state(char *buf, size_t len, const struct node_view *n,
                      const char *not_voting, int64_t now)
{
    int64_t s = (now - n->last_ok_ms) / 1000;

    if (n->up)
        snprintf(buf, len, "%s", not_voting[0] ? not_voting : "up");
    else if (!n->last_ok_ms)
        snprintf(buf, len, "down");
    else if (s < 100)
        snprintf(buf, len, "down %llds", (long long)s);
    else if (s < 6000)
        snprintf(buf, len, "down %lldm", (long long)(s / 60));
    else
        snprintf(buf, len, "down %lldh", (long long)(s / 3600));
}

static void fmt_accepted(char *buf, size_t len, const struct node_view *n)
{
    const struct value_view *a = &n->accepted;

    if (!n->has_accepted)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%llu@%u.%u %s", (unsigned long long)a->slot,
                 a->ballot.round, a->ballot.node,
                 a->noop ? "(no-op)" : a->text);
}

static void node_cells(const struct node_view *n, const char *not_voting,
                       char cell[C_N][MODEL_ADDR_MAX])
{
    bool proposer = is(n, "proposer"), acceptor = is(n, "acceptor");
    bool known = n->ever_up;

    snprintf(cell[C_MARK], MODEL_ADDR_MAX, "%s",
             n->up && n->is_leader ? "*" : "");
    snprintf(cell[C_NAME], MODEL_ADDR_MAX, "%s", n->ep.name);
    snprintf(cell[C_ROLE], MODEL_ADDR_MAX, "%s", model_node_role(n));
    snprintf(cell[C_ADDRESS], MODEL_ADDR_MAX, "%s:%u", n->ep.host,
             n->ep.port);
    fmt_state(cell[C_STATE], MODEL_ADDR_MAX, n, not_voting, ui_now_ms());
    fmt_ballot(cell[C_BALLOT], MODEL_ADDR_MAX,
               proposer ? n->ballot : (struct ballot){ 0, 0 });
    fmt_ballot(cell[C_PROMISED], MODEL_ADDR_MAX, n->promised);
    fmt_accepted(cell[C_ACCEPTED], MODEL_ADDR_MAX, n);
    fmt_index(cell[C_CHOSEN], MODEL_ADDR_MAX, known && (proposer || acceptor),
              n->commit);
    fmt_index(cell[C_APPLIED], MODEL_ADDR_MAX, known && is(n, "learner"),
              n->applied);
    if (known)
        snprintf(cell[C_MEMBERS], MODEL_ADDR_MAX, "%zu/%zu/%zu", n->alive,
                 n->suspect, n->dead);
    else
        snprintf(cell[C_MEMBERS], MODEL_ADDR_MAX, "-");
    if (n->up)
        snprintf(cell[C_LATENCY], MODEL_ADDR_MAX, "%lldms",
                 (long long)n->latency_ms);
    else
        snprintf(cell[C_LATENCY], MODEL_ADDR_MAX, "-");
}

/* A down node's figures are its last answer's: dimmed. */
static void node_styles(const struct node_view *n, const char *not_voting,
                        attr_t attr[C_N])
{
    bool leads = n->up && n->is_leader;

    for (size_t c = 0; c < C_N; c++)
        attr[c] = draw_style(n->up ? ST_NORMAL : ST_DIM);
    attr[C_MARK] = draw_style(ST_LEADER);
    attr[C_NAME] = draw_style(!n->up ? ST_BAD : leads ? ST_LEADER
                                                      : ST_NORMAL);
    attr[C_STATE] = draw_style(!n->up ? ST_BAD : not_voting[0] ? ST_WARN
                                                               : ST_OK);
    if (n->up && (n->dead || n->suspect))
        attr[C_MEMBERS] = draw_style(n->dead ? ST_BAD : ST_WARN);
}

static void draw_row(const struct ui *ui, const struct table *t, int y,
                     size_t row, bool selected)
{
    size_t i = ui->order[row];
    const char *not_voting = model_standing_word(
        model_standing(&ui->app->model, i));
    char cell[C_N][MODEL_ADDR_MAX];
    const char *cells[C_N];
    attr_t attr[C_N];
    enum style look = selected ? ST_SELECTED : ui->flash[i] ? ST_FLASH
                                                           : ST_NORMAL;

    node_cells(&ui->app->model.nodes[i], not_voting, cell);
    node_styles(&ui->app->model.nodes[i], not_voting, attr);
    for (size_t c = 0; c < C_N; c++)
        cells[c] = cell[c];
    table_row(t, y, cells, attr, draw_style(look), look != ST_NORMAL);
}

static void nodes_draw(struct ui *ui, int top, int height, int width)
{
    struct table t;

    table_layout(&t, columns, C_N, width);
    table_header(&t, top, sort_column[ui->sort], ui->descending);
    ui_draw_rows(ui, &ui->pos[VIEW_NODES], &t, top + 1, height - 1,
                 ui->n_order, NULL, draw_row);
}

static const char *const hints[] = {
    "Enter", "Detail", "<>", "Sort", "/", "Filter", "w", "Write",
    "d", "Direct", "p", "Pause", NULL
};

const struct view view_nodes = {
    .name = "Nodes",
    .draw = nodes_draw,
    .hints = hints,
    .node_rows = true,
};

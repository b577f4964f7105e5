/* view_config.c -- the acceptor set, like etcd's `member list` in a panel:
 * the configuration in force (epoch, first slot, the node that reports
 * it, how many of its voters vote), the configurations to come, and one
 * row per acceptor: the voters first, then those that wait to be admitted
 * or do not vote, each with its id, member identity, address, whether
 * paxos-top reaches it and where it stands. a, x and s add, remove and
 * replace an acceptor (POST /voters to a proposer); a and s type in the
 * selected acceptor when it fits, x never does (a voter is removed only
 * by name). Enter opens the selected acceptor's detail. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "poller.h"
#include "ui.h"

enum { C_NAME, C_ID, C_MEMBER, C_ADDRESS, C_STATE, C_STANDING, C_N };

static const struct column columns[C_N] = {
    [C_NAME]     = { "NAME",     10, 9,  0, false, false },
    [C_ID]       = { "ID",       4,  3,  3, true,  false },
    [C_MEMBER]   = { "MEMBER",   16, 8,  2, false, false },
    [C_ADDRESS]  = { "ADDRESS",  21, 12, 4, false, false },
    [C_STATE]    = { "STATE",    11, 7,  0, false, false },
    [C_STANDING] = { "STANDING", 24, 12, 0, false, true },
};

/* The acceptor on the selected row, or NULL when there is none. */
static const struct model_acceptor *selected(const struct ui *ui)
{
    size_t sel = ui->pos[VIEW_CONFIG].sel;

    return sel < ui->n_acceptors ? &ui->acceptors[sel] : NULL;
}

static enum style standing_style(enum model_standing s)
{
    switch (s) {
    case STANDING_VOTER:
        return ST_OK;
    case STANDING_RENEWED: case STANDING_WAITING: case STANDING_NEW:
    case STANDING_JOINING:
        return ST_WARN;
    default:
        return ST_NORMAL;
    }
}

static void draw_row(const struct ui *ui, const struct table *t, int y,
                     size_t item, bool selected_row)
{
    const struct model *m = &ui->app->model;
    const struct model_acceptor *a = &ui->acceptors[item];
    const struct node_view *n = a->node >= 0 ? &m->nodes[a->node] : NULL;
    char id[16];
    const char *cells[C_N];
    attr_t attr[C_N];

    snprintf(id, sizeof id, a->id ? "%" PRIu32 : "-", a->id);
    cells[C_NAME] = a->name;
    cells[C_ID] = id;
    cells[C_MEMBER] = a->member[0] ? a->member : "-";
    cells[C_ADDRESS] = a->address[0] ? a->address : "-";
    cells[C_STATE] = !n ? "not watched" : n->up ? "up" : "down";
    cells[C_STANDING] = model_standing_text(a->standing);
    for (size_t c = 0; c < C_N; c++)
        attr[c] = draw_style(a->voter ? ST_NORMAL : ST_DIM);
    attr[C_STATE] = draw_style(!n ? ST_DIM : n->up ? ST_OK : ST_BAD);
    attr[C_STANDING] = draw_style(standing_style(a->standing));
    table_row(t, y, cells, attr, draw_style(ST_SELECTED), selected_row);
}

/* The lines above the table: the configuration in force, those to come.
 * Returns the next free line. */
static int draw_summary(const struct ui *ui, int y, int width)
{
    const struct model *m = &ui->app->model;
    char line[1024], names[768];

    if (!m->config.epoch) {
        draw_text(y++, 0, width, "No configuration known yet: no proposer, "
                  "acceptor or learner has reported one",
                  draw_style(ST_WARN), false);
        return y;
    }
    snprintf(line, sizeof line, "Epoch %" PRIu64 ", in force from slot %"
             PRIu64 " (as %s reports it): %zu/%zu voters vote, a quorum is "
             "%zu", m->config.epoch, m->config.first_slot, m->config_from,
             m->acceptors_up, m->acceptors_total, m->quorum);
    draw_text(y++, 0, width, line, draw_style(m->acceptors_up >= m->quorum
                                              ? ST_TITLE : ST_BAD), false);
    if (!m->n_coming)
        draw_text(y++, 0, width, "Coming: nothing", A_NORMAL, false);
    for (size_t k = 0; k < m->n_coming; k++) {
        model_config_names(&m->coming[k], names, sizeof names);
        snprintf(line, sizeof line, "Coming: epoch %" PRIu64 " from slot %"
                 PRIu64 ": %s", m->coming[k].epoch, m->coming[k].first_slot,
                 names);
        draw_text(y++, 0, width, line, draw_style(ST_WARN), false);
    }
    return y;
}

static void config_draw(struct ui *ui, int top, int height, int width)
{
    const struct app *app = ui->app;
    int y = draw_summary(ui, top, width) + 1, i;
    char hint[160];
    struct table t;

    table_layout(&t, columns, C_N, width);
    table_header(&t, y, -1, false);
    ui_draw_rows(ui, &ui->pos[VIEW_CONFIG], &t, y + 1, top + height - y - 2,
                 ui->n_acceptors, NULL, draw_row);
    i = poller_target(app->poller, NULL, true);
    if (app->opt.readonly)
        snprintf(hint, sizeof hint, "read-only (--readonly): no changes");
    else
        snprintf(hint, sizeof hint, "a add  x remove  s replace: POST "
                 "/voters to %s", i < 0 ? "a proposer (none found)"
                                        : app->model.nodes[i].ep.name);
    draw_text(top + height - 1, 0, width, hint, draw_style(ST_DIM), false);
}

/* The selected acceptor's name when adding it (it does not vote) or
 * replacing it (a voter) is what the user is likely to mean; NULL else. */
static const char *typed_in(const struct model_acceptor *a,
                            enum model_change_kind kind, char *buf,
                            size_t size)
{
    bool waits = a && !a->voter && a->standing != STANDING_COMING &&
                 a->standing != STANDING_UNKNOWN;

    if (kind == CHANGE_ADD && a && (waits || a->standing == STANDING_RENEWED))
        snprintf(buf, size, "%s", a->name);
    else if (kind == CHANGE_REPLACE && a && a->voter)
        snprintf(buf, size, "%s ", a->name);
    else
        return NULL;
    return buf;
}

static enum ui_result config_key(struct ui *ui, int key)
{
    const struct model_acceptor *a = selected(ui);
    char name[MODEL_NAME_MAX + 1];

    switch (key) {
    case 'a':
        return ui_open_change(ui, CHANGE_ADD,
                              typed_in(a, CHANGE_ADD, name, sizeof name));
    case 'x':
        return ui_open_change(ui, CHANGE_REMOVE, NULL);
    case 's':
        return ui_open_change(ui, CHANGE_REPLACE,
                              typed_in(a, CHANGE_REPLACE, name, sizeof name));
    case '\n': case '\r': case KEY_ENTER:
        if (!a || a->node < 0)
            ui_say(ui, true, "%s is not watched by paxos-top",
                   a ? a->name : "no acceptor");
        else {
            ui->node = (size_t)a->node;
            ui_show(ui, VIEW_DETAIL);
        }
        return UI_HANDLED;
    default:
        return UI_IGNORED;
    }
}

static void config_update(struct ui *ui)
{
    ui->n_acceptors = model_acceptors(&ui->app->model, ui->acceptors,
                                      MODEL_ACCEPTORS_MAX);
}

static const char *const hints[] = {
    "a", "Add", "x", "Remove", "s", "Replace", "Enter", "Detail", NULL
};

const struct view view_config = {
    .name = "Config",
    .draw = config_draw,
    .key = config_key,
    .update = config_update,
    .hints = hints,
};

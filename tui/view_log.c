/* view_log.c -- the learned log as the learners report it: slot, the
 * ballot it was chosen at, the value, and which learners hold it. Newest
 * last, following new slots until the user scrolls up; the filter keeps
 * the values that contain it. */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "ui.h"

enum { C_SLOT, C_BALLOT, C_VALUE, C_LEARNERS, C_N };

static const struct column columns[C_N] = {
    [C_SLOT]     = { "SLOT",       8,  4, 0, true, false },
    [C_BALLOT]   = { "BALLOT",     7,  5, 2, true, false },
    [C_VALUE]    = { "VALUE",      30, 10, 0, false, true },
    [C_LEARNERS] = { "LEARNED BY", 20, 9, 1, false, false },
};

/* The names of the learners whose bits are set, in node order. */
static void learners(char *buf, size_t len, const struct model *m,
                     uint32_t bits)
{
    size_t used = 0, k = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < m->n_nodes && k < 32; i++) {
        if (strcmp(model_node_role(&m->nodes[i]), "learner") != 0)
            continue;
        if (((bits >> k++) & 1) && used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s",
                                     used ? " " : "", m->nodes[i].ep.name);
    }
}

static const char *entry_text(const struct ui *ui, size_t k)
{
    return ui->app->model.log[k].text;
}

static void draw_entry(const struct ui *ui, const struct table *t, int y,
                       size_t k, bool selected)
{
    const struct model *m = &ui->app->model;
    const struct log_entry *e = &m->log[k];
    char slot[24], ballot[24], who[256];
    const char *cells[C_N] = { slot, ballot, e->noop ? "(no-op)" : e->text,
                               who };

    snprintf(slot, sizeof slot, "%llu", (unsigned long long)e->slot);
    snprintf(ballot, sizeof ballot, "%u.%u", e->ballot.round, e->ballot.node);
    learners(who, sizeof who, m, e->learners);
    table_row(t, y, cells, NULL, A_NORMAL, false);
}

static void log_draw(struct ui *ui, int top, int height, int width)
{
    const struct model *m = &ui->app->model;
    struct table t;

    table_layout(&t, columns, C_N, width);
    table_header(&t, top, -1, false);
    if (!ui_draw_rows(ui, &ui->pos[VIEW_LOG], &t, top + 1, height - 1,
                      m->log_len, entry_text, draw_entry))
        draw_text(top + 1, 1, width - 1,
                  m->log_len ? "no value matches the filter"
                             : "the learners hold no value yet",
                  draw_style(ST_DIM), false);
}

static const char *const hints[] = {
    "/", "Filter", "w", "Write", "End", "Newest", NULL
};

const struct view view_log = {
    .name = "Log",
    .draw = log_draw,
    .hints = hints,
};

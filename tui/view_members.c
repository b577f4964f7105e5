/* view_members.c -- the gossip membership matrix: one row per observer
 * (sorted and filtered like the nodes), one column per member in node
 * order, each cell the member's state in that observer's view: A alive,
 * S suspect, D dead, - not listed. A down observer's row is its last
 * answer, dimmed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "ui.h"

#define MEMBERS_ABBR 8

/* "proposer1" -> "p1", "web" -> "web": a column title. */
static void abbreviate(char *out, const char *name)
{
    size_t len = strlen(name), digits = len;

    while (digits > 0 && isdigit((unsigned char)name[digits - 1]))
        digits--;
    if (digits > 0 && digits < len && len - digits < MEMBERS_ABBR - 2)
        snprintf(out, MEMBERS_ABBR, "%c%s", name[0], name + digits);
    else
        snprintf(out, MEMBERS_ABBR, "%.3s", name);
}

/* Node j's member id: its own, or the one another node lists it under
 * when it never answered. 0 when nobody knows it. */
static uint32_t member_id(const struct model *m, size_t j)
{
    if (m->nodes[j].id)
        return m->nodes[j].id;
    for (size_t i = 0; i < m->n_nodes; i++)
        for (size_t k = 0; k < m->nodes[i].n_members; k++)
            if (strcmp(m->nodes[i].members[k].name, m->nodes[j].ep.name) == 0)
                return m->nodes[i].members[k].id;
    return 0;
}

static void draw_matrix_row(const struct ui *ui, const struct table *t,
                            int y, size_t row, bool selected)
{
    const struct model *m = &ui->app->model;
    const struct node_view *obs = &m->nodes[ui->order[row]];
    char cell[TABLE_MAX][2];
    const char *cells[TABLE_MAX];
    attr_t attr[TABLE_MAX];

    cells[0] = obs->ep.name;
    attr[0] = draw_style(selected ? ST_SELECTED : obs->up ? ST_NORMAL
                                                          : ST_BAD);
    for (size_t c = 1; c < t->n; c++) {
        uint32_t id = member_id(m, c - 1);
        const char *state = id ? model_member_state(obs, id) : "";
        enum style st = !state[0] ? ST_DIM : state[0] == 'a' ? ST_OK
                        : state[0] == 's' ? ST_WARN : ST_BAD;

        cell[c][0] = state[0] ? (char)toupper((unsigned char)state[0]) : '-';
        cell[c][1] = '\0';
        cells[c] = cell[c];
        attr[c] = draw_style(obs->up ? st : ST_DIM);
    }
    table_row(t, y, cells, attr, A_NORMAL, false);
}

static void members_draw(struct ui *ui, int top, int height, int width)
{
    const struct model *m = &ui->app->model;
    struct column cols[TABLE_MAX];
    char titles[TABLE_MAX][MEMBERS_ABBR];
    size_t n = m->n_nodes + 1 < TABLE_MAX ? m->n_nodes + 1 : TABLE_MAX;
    struct table t;

    cols[0] = (struct column){ "OBSERVER", 10, 6, 0, false, false };
    for (size_t c = 1; c < n; c++) {
        abbreviate(titles[c], m->nodes[c - 1].ep.name);
        cols[c] = (struct column){ titles[c], 4, 3, (unsigned char)c,
                                   false, false };
    }
    table_layout(&t, cols, n, width);
    table_header(&t, top, -1, false);
    ui_draw_rows(ui, &ui->pos[VIEW_MEMBERS], &t, top + 1, height - 2,
                 ui->n_order, NULL, draw_matrix_row);
    draw_text(top + height - 1, 0, width,
              "A alive  S suspect  D dead  - not listed   (rows: observers;"
              " columns: members)", draw_style(ST_DIM), false);
}

static const char *const hints[] = {
    "Enter", "Detail", "<>", "Sort", "/", "Filter", NULL
};

const struct view view_members = {
    .name = "Members",
    .draw = members_draw,
    .hints = hints,
    .node_rows = true,
};

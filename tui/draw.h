/* draw.h -- paxos-top's drawing kit on top of ncursesw: named styles
 * (colours, or bold/reverse/underline on a monochrome terminal or with
 * --no-color), text cut to a width with an ellipsis, sparklines, the
 * header, the tab line, the key bar, and the column table every list
 * view uses (columns narrow, then drop by priority, to fit the width). */
#ifndef PAXOS_TOP_DRAW_H
#define PAXOS_TOP_DRAW_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"

enum style {
    ST_NORMAL, ST_OK, ST_WARN, ST_BAD, ST_LEADER, ST_DIM,
    ST_TITLE,           /* the header's name */
    ST_COLUMNS,         /* a table's column titles */
    ST_SORTED,          /* the sort column's title */
    ST_SELECTED,        /* the selected row */
    ST_FLASH,           /* a row that changed after a write */
    ST_KEY, ST_KEYLABEL,
    ST_COUNT
};

/* After initscr(): colours when color is true and the terminal has them;
 * block sparklines and the ellipsis when the locale is UTF-8. */
void draw_init(bool color);
attr_t draw_style(enum style s);

/* Draws s at (y, x) in at most width columns, cut with an ellipsis when
 * wider; control characters and bytes the locale cannot decode show as
 * '?'. right: aligned to the right of the width. Returns the columns
 * drawn. */
int draw_text(int y, int x, int width, const char *s, attr_t attr,
              bool right);
/* The columns s takes on screen, as draw_text shows it. */
int draw_width(const char *s);
/* Fills width columns from (y, x) with blanks in attr. */
void draw_fill(int y, int x, int width, attr_t attr);

/* The lines of text ('\n' ends each; a last line without one counts). */
size_t draw_count_lines(const char *text);
/* Lines first .. first + height - 1 of text on lines top .. */
void draw_page(int top, int height, int width, const char *text,
               size_t first);

/* Header lines 0 and 1: the cluster's leader, ballot, log length, quorum
 * health, nodes up, PAUSED; writes/s and commit latency sparklines. */
#define DRAW_HEADER_LINES 2
void draw_header(const struct model *m, bool paused, int width);
/* The views' names, the current one marked, then extra text on the right. */
void draw_tabs(int y, int width, const char *const *names, size_t n,
               size_t current, const char *extra);
/* "key", "label" pairs up to a NULL key, htop style, from column x; a
 * pair that does not fit before column end is left out. Returns the
 * column after the last pair drawn. */
int draw_keybar(int y, int x, int end, const char *const *hints);

/* ---- the column table ---- */

#define TABLE_MAX 64

struct column {
    const char *title;
    short width, min;   /* preferred and narrowest widths */
    unsigned char drop; /* 0: always shown; the highest drops first */
    bool right;         /* aligned to the right */
    bool grow;          /* takes the width left over */
};

struct table {
    const struct column *cols;
    size_t n;
    int x[TABLE_MAX], w[TABLE_MAX];     /* w 0: dropped */
    int width;
};

/* Lays out n columns (at most TABLE_MAX) in width. */
void table_layout(struct table *t, const struct column *cols, size_t n,
                  int width);
/* The column titles on line y; sorted: the column highlighted, with an
 * arrow after it for the order (-1: none). */
void table_header(const struct table *t, int y, int sorted, bool descending);
/* One row: cells[i] in column i, in cell_attr[i] (NULL: attr), or every
 * cell in attr when whole is true (the selected row). */
void table_row(const struct table *t, int y, const char *const *cells,
               const attr_t *cell_attr, attr_t attr, bool whole);

#endif

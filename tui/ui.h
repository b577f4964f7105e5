/* ui.h -- what the interactive dashboard's views share: the UI state
 * (the view shown, each view's scroll position, the selected node, the
 * sort column, the filter, pause, which prompt has the keyboard, the
 * acceptor set as the configuration view lists it), the
 * view interface, and the list helpers every view uses. ui.c owns the
 * state, the loop and the keys common to all views; each view_*.c draws
 * one panel from the model and handles its own keys. */
#ifndef PAXOS_TOP_UI_H
#define PAXOS_TOP_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "draw.h"
#include "model.h"

enum view_id {
    VIEW_NODES, VIEW_LOG, VIEW_MEMBERS, VIEW_DETAIL, VIEW_EVENTS, VIEW_CONFIG,
    VIEW_HELP, VIEW_COUNT
};

/* What a key handler asks for next (htop's HandlerResult). */
enum ui_result {
    UI_IGNORED,         /* not this handler's key: try the next one */
    UI_HANDLED,         /* done: redraw */
    UI_REPAINT,         /* done: repaint the whole screen (Ctrl-L, resize) */
    UI_QUIT,
};

enum ui_focus {
    FOCUS_VIEW,         /* keys go to the view, then to the global keys */
    FOCUS_FILTER,       /* the / prompt */
    FOCUS_WRITE,        /* the w / d prompt */
    FOCUS_CHANGE,       /* the configuration view's a / x / s prompt */
};

/* A scrollable list as last drawn: count lines, page of them shown from
 * top. select: a line is selected (else the lines only scroll, and sel
 * is unused). follow, when they only scroll: keep the last lines shown
 * as lines are added (the log and the events, newest last). */
struct ui_pos {
    size_t sel, top, count, page;
    bool select, follow;
};

#define UI_INPUT_MAX 512
#define UI_FILTER_MAX 64

struct ui {
    struct app *app;
    enum view_id view, back;            /* shown; where Esc returns */
    struct ui_pos pos[VIEW_COUNT];
    size_t node;                        /* the selected node (model index) */
    size_t *order;                      /* the node rows, sorted, filtered */
    size_t n_order;
    bool dirty;                         /* a redraw is due */

    enum model_column sort;
    bool descending;
    char filter[UI_FILTER_MAX];
    bool paused;

    enum ui_focus focus;
    bool direct;                        /* the write prompt: to a proposer */
    enum model_change_kind change;      /* the change prompt's */
    char input[UI_INPUT_MAX];           /* the write or change prompt's text */

    char status[256];                   /* the status line */
    bool status_bad;

    /* Rows whose chosen/applied index moved in the polls after a write. */
    uint64_t *index;                    /* per node, at the last round */
    bool *flash;                        /* per node */
    int64_t flash_until;                /* 0: nothing highlighted */
    int armed;                          /* rounds left to look for changes */

    /* The configuration view's rows, as of the last poll round. */
    struct model_acceptor *acceptors;   /* room for MODEL_ACCEPTORS_MAX */
    size_t n_acceptors;

    /* The detail view's last /view-logs answer, for node logs_of. */
    char *logs;
    size_t logs_of;
    bool logs_busy;
};

struct view {
    const char *name;                   /* on the tab line */
    /* Draws the body: lines top .. top + height - 1, width columns. */
    void (*draw)(struct ui *ui, int top, int height, int width);
    /* A key while this view is shown, before the scrolling and global
     * keys (NULL: none of its own). */
    enum ui_result (*key)(struct ui *ui, int key);
    /* When the view is shown and after every poll round (NULL: nothing). */
    void (*update)(struct ui *ui);
    const char *const *hints;   /* key bar: "key", "label", ..., NULL */
    bool node_rows;             /* its rows are ui->order: moving selects a
                                   node, Enter opens it */
};

extern const struct view view_nodes, view_log, view_members, view_detail,
    view_events, view_config, view_help;

#define UI_KEY_ESC 27

/* Shows a view (Esc returns to the one shown before). */
void ui_show(struct ui *ui, enum view_id id);
/* Returns to the view shown before (Esc). */
void ui_back(struct ui *ui);
/* Sets the status line (bad: in the error style). */
void ui_say(struct ui *ui, bool bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens the prompt of a change of the acceptor set with text typed in
 * already (NULL: none); with --readonly, says no. */
enum ui_result ui_open_change(struct ui *ui, enum model_change_kind kind,
                              const char *text);

/* Records that count lines are shown page at a time, and keeps the
 * selection on screen (the last lines, when following). */
void ui_scroll_fit(struct ui_pos *pos, size_t count, size_t page);

typedef void ui_row_fn(const struct ui *ui, const struct table *t, int y,
                       size_t item, bool selected);
/* Draws row(ui, t, y, k, selected) for each item k < n that the filter
 * keeps (text(ui, k): what it looks at; NULL: every item), scrolled by
 * pos, on lines top .. top + height - 1. Returns how many were kept. */
size_t ui_draw_rows(struct ui *ui, struct ui_pos *pos, const struct table *t,
                    int top, int height, size_t n,
                    const char *(*text)(const struct ui *ui, size_t item),
                    ui_row_fn *row);

/* Now on the model's clock (wall-clock milliseconds). */
int64_t ui_now_ms(void);

#endif

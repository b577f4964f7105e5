/* ui.c -- the interactive dashboard (ui_run): sets curses up and tears it
 * down on every exit path, reads the keyboard when fd 0 is readable and
 * on a short timer (so KEY_RESIZE is seen without input), redraws after
 * every poll round and every key, and handles what is common to every
 * view: scrolling, switching views, sorting, the filter, write and change
 * prompts, pause, quit. The views draw the body (view_*.c). */
#include "ui.h"

#include <curses.h>
#include <json-c/json.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "draw.h"
#include "loop.h"
#include "poller.h"

#define UI_TICK_MS 200          /* KEY_RESIZE and expiring highlights */
#define UI_FLASH_MS 1500        /* how long a changed row stays highlighted */
#define UI_ARMED_ROUNDS 2       /* polls after a write that look for changes */
#define KEY_CTRL_L 12
#define KEY_CTRL_U 21

static const struct view *const views[VIEW_COUNT] = {
    [VIEW_NODES] = &view_nodes, [VIEW_LOG] = &view_log,
    [VIEW_MEMBERS] = &view_members, [VIEW_DETAIL] = &view_detail,
    [VIEW_EVENTS] = &view_events, [VIEW_CONFIG] = &view_config,
    [VIEW_HELP] = &view_help,
};

/* The key bar: these first, then the view's keys, then Tab. */
static const char *const first_hints[] = { "?", "Help", "q", "Quit", NULL };
static const char *const last_hints[] = { "Tab", "View", NULL };

struct session {
    struct ui ui;
    uint64_t timer;
    bool repaint;               /* the next redraw repaints everything */
};

/* ---- views and lists ---- */

void ui_show(struct ui *ui, enum view_id id)
{
    if (id != ui->view) {
        ui->back = ui->view;
        ui->view = id;
    }
    if (views[id]->update)
        views[id]->update(ui);
    ui->dirty = true;
}

void ui_back(struct ui *ui)
{
    ui_show(ui, ui->back);
    ui->back = VIEW_NODES;
}

void ui_say(struct ui *ui, bool bad, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ui->status, sizeof ui->status, fmt, ap);
    va_end(ap);
    ui->status_bad = bad;
    ui->dirty = true;
}

int64_t ui_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when the filter is empty or text contains it (ignoring case). */
static bool ui_matches(const struct ui *ui, const char *text)
{
    return !ui->filter[0] || strcasestr(text, ui->filter);
}

void ui_scroll_fit(struct ui_pos *pos, size_t count, size_t page)
{
    size_t last_top;

    pos->count = count;
    pos->page = page ? page : 1;
    last_top = count > pos->page ? count - pos->page : 0;
    if (pos->select) {
        if (pos->sel >= count)
            pos->sel = count ? count - 1 : 0;
        if (pos->sel < pos->top)
            pos->top = pos->sel;
        if (pos->sel >= pos->top + pos->page)
            pos->top = pos->sel - pos->page + 1;
    } else if (pos->follow) {
        pos->top = last_top;
    }
    if (pos->top > last_top)    /* no blank lines at the end */
        pos->top = last_top;
}

/* Up, down, page up/down, home, end (and j, k, g, G) on a list as it was
 * last drawn. */
static enum ui_result ui_scroll_key(struct ui_pos *pos, int key)
{
    size_t page = pos->page, at = pos->select ? pos->sel : pos->top;
    size_t last = pos->count ? pos->count - 1 : 0;

    if (!pos->select)           /* scrolling: the last top line */
        last = pos->count > page ? pos->count - page : 0;
    switch (key) {
    case KEY_UP: case 'k':   at = at ? at - 1 : 0; break;
    case KEY_DOWN: case 'j': at = at < last ? at + 1 : last; break;
    case KEY_PPAGE:          at = at > page ? at - page : 0; break;
    case KEY_NPAGE:          at = at + page < last ? at + page : last; break;
    case KEY_HOME: case 'g': at = 0; break;
    case KEY_END: case 'G':  at = last; break;
    default:                 return UI_IGNORED;
    }
    if (pos->select) {
        pos->sel = at;
    } else {
        pos->top = at;
        pos->follow = at == last;
    }
    ui_scroll_fit(pos, pos->count, page);
    return UI_HANDLED;
}

size_t ui_draw_rows(struct ui *ui, struct ui_pos *pos, const struct table *t,
                    int top, int height, size_t n,
                    const char *(*text)(const struct ui *ui, size_t item),
                    ui_row_fn *row)
{
    size_t count = 0, r = 0;

    for (size_t k = 0; k < n; k++)
        count += !text || ui_matches(ui, text(ui, k));
    ui_scroll_fit(pos, count, height > 0 ? (size_t)height : 0);
    for (size_t k = 0; k < n && r < pos->top + pos->page; k++) {
        if (text && !ui_matches(ui, text(ui, k)))
            continue;
        if (r >= pos->top)
            row(ui, t, top + (int)(r - pos->top), k,
                pos->select && r == pos->sel);
        r++;
    }
    return count;
}

/* ---- drawing ---- */

/* Sorts and filters the node rows, and keeps the selection on the
 * selected node. */
static void sync_rows(struct ui *ui)
{
    struct ui_pos *pos = &ui->pos[ui->view];

    ui->n_order = model_rows(&ui->app->model, ui->sort, ui->descending,
                             ui->filter, ui->order);
    for (size_t r = 0; r < ui->n_order; r++)
        if (ui->order[r] == ui->node)
            pos->sel = r;
    if (pos->sel >= ui->n_order)
        pos->sel = ui->n_order ? ui->n_order - 1 : 0;
    if (ui->n_order)
        ui->node = ui->order[pos->sel];
}

/* The node a write (direct: or a change) goes to, for its label. */
static const char *write_target(const struct ui *ui, bool direct)
{
    const struct app *app = ui->app;
    int i = poller_target(app->poller, NULL, direct);

    return i < 0 ? "no node" : app->model.nodes[i].ep.name;
}

/* The change prompts' labels, by kind. */
static const char *const change_labels[] = {
    [CHANGE_ADD] = "Add acceptor", [CHANGE_REMOVE] = "Remove voter",
    [CHANGE_REPLACE] = "Replace voter, then its successor",
};

/* The status line, or a prompt with the cursor at its end. */
static void draw_status(struct ui *ui, int y)
{
    char label[MODEL_NAME_MAX + 64] = "Filter: ";
    const char *text = ui->focus == FOCUS_FILTER ? ui->filter : ui->input;
    int x;

    draw_fill(y, 0, COLS, A_NORMAL);
    if (ui->focus == FOCUS_VIEW) {
        draw_text(y, 0, COLS, ui->status,
                  draw_style(ui->status_bad ? ST_BAD : ST_NORMAL), false);
        curs_set(0);
        return;
    }
    if (ui->focus == FOCUS_WRITE)
        snprintf(label, sizeof label, "%s %s: ",
                 ui->direct ? "Propose to" : "Write via",
                 write_target(ui, ui->direct));
    else if (ui->focus == FOCUS_CHANGE)
        snprintf(label, sizeof label, "%s (via %s): ",
                 change_labels[ui->change], write_target(ui, true));
    x = draw_text(y, 0, COLS, label, draw_style(ST_TITLE), false);
    while (*text && draw_width(text) > COLS - x - 1) {  /* show the end */
        text++;
        while ((*text & 0xC0) == 0x80)
            text++;
    }
    x += draw_text(y, x, COLS - x, text, A_NORMAL, false);
    curs_set(1);
    move(y, x);
}

static void draw_frame(struct session *s)
{
    const char *names[VIEW_COUNT];
    struct ui *ui = &s->ui;
    const struct view *v = views[ui->view];
    int body = LINES - DRAW_HEADER_LINES - 3, x;
    char extra[UI_FILTER_MAX + 16] = "";

    for (size_t i = 0; i < VIEW_COUNT; i++)
        names[i] = views[i]->name;
    if (s->repaint)
        clearok(curscr, TRUE);
    s->repaint = false;
    ui->dirty = false;
    erase();
    if (body < 3 || COLS < 40) {
        mvaddstr(0, 0, "paxos-top: the terminal is too small");
        refresh();
        return;
    }
    draw_header(&ui->app->model, ui->paused, COLS);
    if (ui->filter[0] && ui->focus != FOCUS_FILTER)
        snprintf(extra, sizeof extra, "filter: %s", ui->filter);
    draw_tabs(DRAW_HEADER_LINES, COLS, names, VIEW_COUNT, ui->view, extra);
    if (v->node_rows)
        sync_rows(ui);
    v->draw(ui, DRAW_HEADER_LINES + 1, body, COLS);
    x = draw_keybar(LINES - 1, 0, COLS, first_hints);
    x = draw_keybar(LINES - 1, x, COLS, v->hints);
    draw_keybar(LINES - 1, x, COLS, last_hints);
    if (ui->focus != FOCUS_VIEW && ui->status[0]) {
        /* Why the prompt's text was not taken, above the prompt. */
        draw_fill(LINES - 3, 0, COLS, A_NORMAL);
        draw_text(LINES - 3, 0, COLS, ui->status,
                  draw_style(ui->status_bad ? ST_BAD : ST_NORMAL), false);
    }
    draw_status(ui, LINES - 2);     /* last: it places the cursor */
    refresh();
}

static void flush(struct session *s)
{
    if (s->ui.dirty || s->repaint)
        draw_frame(s);
}

/* ---- writes ---- */

static void on_write(struct app *app, void *ud, int status, const char *body)
{
    struct session *s = ud;
    json_object *reply = json_tokener_parse(body);
    json_object *slot = NULL, *value = NULL, *error = NULL;

    if (reply) {
        json_object_object_get_ex(reply, "slot", &slot);
        json_object_object_get_ex(reply, "value", &value);
        json_object_object_get_ex(reply, "error", &error);
    }
    if (status == 200 && slot)
        ui_say(&s->ui, false, "\"%s\" chosen at slot %s",
               value ? json_object_get_string(value) : "",
               json_object_get_string(slot));
    else if (status)
        ui_say(&s->ui, true, "write failed (HTTP %d): %s", status,
               error ? json_object_get_string(error) : body);
    else
        ui_say(&s->ui, true, "write failed: %s", body);
    json_object_put(reply);
    s->ui.armed = UI_ARMED_ROUNDS;  /* the poller polls again at once */
    flush(s);
}

static void send_write(struct session *s)
{
    struct ui *ui = &s->ui;
    struct app *app = ui->app;

    if (!ui->input[0])
        return;
    if (poller_write(app->poller, NULL, ui->direct, ui->input, on_write,
                     s) < 0)
        ui_say(ui, true, "no %s to write to", ui->direct ? "proposer"
                                                          : "client node");
    else
        ui_say(ui, false, "writing \"%s\" via %s...", ui->input,
               write_target(ui, ui->direct));
    ui->input[0] = '\0';
}

/* ---- changes of the acceptor set ---- */

static void on_change(struct app *app, void *ud, bool in_force,
                      const char *outcome)
{
    struct session *s = ud;

    ui_say(&s->ui, !in_force, "%s", outcome);
    flush(s);
}

/* Enter at the change prompt: true when the change is sent; otherwise
 * the prompt stays open with what was typed, and the status line says
 * why. */
static bool send_change(struct session *s)
{
    struct ui *ui = &s->ui;
    struct model_change c;
    char err[160], what[3 * MODEL_NAME_MAX];

    if (model_change_parse(ui->change, ui->input, &c, err, sizeof err) < 0) {
        ui_say(ui, true, "%s", err);
        return false;
    }
    if (poller_change(ui->app->poller, &c, on_change, s) < 0) {
        ui_say(ui, true, "no proposer to send the change to");
        return false;
    }
    model_change_text(&c, what, sizeof what);
    ui_say(ui, false, "%s: asking %s...", what, write_target(ui, true));
    ui->input[0] = '\0';
    return true;
}

enum ui_result ui_open_change(struct ui *ui, enum model_change_kind kind,
                              const char *text)
{
    if (ui->app->opt.readonly) {
        ui_say(ui, true, "read-only: changes of the acceptor set are off "
               "(--readonly)");
        return UI_HANDLED;
    }
    ui->change = kind;
    snprintf(ui->input, sizeof ui->input, "%s", text ? text : "");
    ui->status[0] = '\0';
    ui->focus = FOCUS_CHANGE;
    return UI_HANDLED;
}

/* ---- keys ---- */

/* Line editing of a prompt's text: printable bytes (UTF-8 sequences come
 * a byte at a time), backspace, and Ctrl-U to clear it. */
static enum ui_result edit(char *text, size_t size, int key)
{
    size_t len = strlen(text);

    if (key == KEY_CTRL_U) {
        text[0] = '\0';
        return UI_HANDLED;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        while (len > 0 && (text[len - 1] & 0xC0) == 0x80)
            len--;
        text[len ? len - 1 : 0] = '\0';
        return UI_HANDLED;
    }
    if (key < ' ' || key > 0xFF || key == 127 || len + 1 >= size)
        return UI_IGNORED;
    text[len] = (char)key;
    text[len + 1] = '\0';
    return UI_HANDLED;
}

static enum ui_result prompt_key(struct session *s, int key)
{
    struct ui *ui = &s->ui;
    bool filter = ui->focus == FOCUS_FILTER;

    switch (key) {
    case '\n': case '\r': case KEY_ENTER:
        if (ui->focus == FOCUS_CHANGE && !send_change(s))
            return UI_HANDLED;      /* the prompt stays, with its text */
        if (ui->focus == FOCUS_WRITE)
            send_write(s);
        ui->focus = FOCUS_VIEW;
        return UI_HANDLED;
    case UI_KEY_ESC:
        ui->focus = FOCUS_VIEW;
        (filter ? ui->filter : ui->input)[0] = '\0';
        return UI_HANDLED;
    default:
        return filter ? edit(ui->filter, sizeof ui->filter, key)
                      : edit(ui->input, sizeof ui->input, key);
    }
}

static enum ui_result open_write(struct ui *ui, bool direct)
{
    if (ui->app->opt.readonly) {
        ui_say(ui, true, "read-only: writes are off (--readonly)");
        return UI_HANDLED;
    }
    ui->direct = direct;
    ui->status[0] = '\0';
    ui->focus = FOCUS_WRITE;
    return UI_HANDLED;
}

static enum ui_result escape(struct ui *ui)
{
    if (ui->filter[0])
        ui->filter[0] = '\0';
    else
        ui_back(ui);
    return UI_HANDLED;
}

static enum ui_result global_key(struct session *s, int key)
{
    struct ui *ui = &s->ui;

    if (key >= '1' && key < '1' + VIEW_COUNT) {
        ui_show(ui, (enum view_id)(key - '1'));
        return UI_HANDLED;
    }
    switch (key) {
    case 'q': case KEY_F(10):
        return UI_QUIT;
    case '?': case KEY_F(1):
        ui_show(ui, VIEW_HELP);
        return UI_HANDLED;
    case 'c':
        ui_show(ui, VIEW_CONFIG);
        return UI_HANDLED;
    case '\t':
        ui_show(ui, (ui->view + 1) % VIEW_COUNT);
        return UI_HANDLED;
    case KEY_BTAB:
        ui_show(ui, (ui->view + VIEW_COUNT - 1) % VIEW_COUNT);
        return UI_HANDLED;
    case UI_KEY_ESC:
        return escape(ui);
    case 'p': case ' ':
        ui->paused = !ui->paused;
        poller_pause(ui->app->poller, ui->paused);
        return UI_HANDLED;
    case KEY_CTRL_L:
        return UI_REPAINT;
    case '/':
        ui->focus = FOCUS_FILTER;
        return UI_HANDLED;
    case 'w': case 'd':
        return open_write(ui, key == 'd');
    case '<': case ',':
        ui->sort = (ui->sort + COL_COUNT - 1) % COL_COUNT;
        return UI_HANDLED;
    case '>': case '.': case KEY_F(6):
        ui->sort = (ui->sort + 1) % COL_COUNT;
        return UI_HANDLED;
    case 'r': case 'I':
        ui->descending = !ui->descending;
        return UI_HANDLED;
    default:
        return UI_IGNORED;
    }
}

static enum ui_result view_key(struct session *s, int key)
{
    struct ui *ui = &s->ui;
    const struct view *v = views[ui->view];
    enum ui_result r = v->key ? v->key(ui, key) : UI_IGNORED;

    if (r != UI_IGNORED)
        return r;
    if (v->node_rows && (key == '\n' || key == '\r' || key == KEY_ENTER)) {
        if (ui->n_order)
            ui_show(ui, VIEW_DETAIL);
        return UI_HANDLED;
    }
    r = ui_scroll_key(&ui->pos[ui->view], key);
    if (r != UI_IGNORED && v->node_rows && ui->n_order)
        ui->node = ui->order[ui->pos[ui->view].sel];
    return r != UI_IGNORED ? r : global_key(s, key);
}

/* Reads every key typed; false when one of them quits. */
static bool read_keys(struct session *s)
{
    int key;

    while ((key = getch()) != ERR) {
        enum ui_result r;

        if (key == KEY_RESIZE)
            r = UI_REPAINT;
        else if (s->ui.focus != FOCUS_VIEW)
            r = prompt_key(s, key);
        else
            r = view_key(s, key);
        if (r == UI_QUIT)
            return false;
        s->repaint |= r == UI_REPAINT;
        s->ui.dirty |= r != UI_IGNORED;
    }
    return true;
}

/* ---- the loop ---- */

static void on_stdin(struct loop *l, int fd, int events, void *ud)
{
    struct session *s = ud;

    if (!read_keys(s)) {
        loop_stop(l);
        return;
    }
    flush(s);
}

static void on_tick(struct loop *l, void *ud)
{
    struct session *s = ud;
    struct ui *ui = &s->ui;

    s->timer = loop_timer(l, UI_TICK_MS, on_tick, s);
    if (!read_keys(s)) {
        loop_stop(l);
        return;
    }
    if (ui->flash_until && loop_now_ms() >= ui->flash_until) {
        memset(ui->flash, 0, ui->app->model.n_nodes * sizeof *ui->flash);
        ui->flash_until = 0;
        ui->dirty = true;
    }
    flush(s);
}

/* A figure that moves whenever a node's chosen, applied or acknowledged
 * count does. */
static uint64_t progress(const struct node_view *n)
{
    return n->commit + n->applied + n->writes_ok;
}

/* In the rounds after a write: highlights the rows whose figures moved. */
static void mark_changes(struct ui *ui)
{
    const struct model *m = &ui->app->model;
    bool any = false;

    for (size_t i = 0; i < m->n_nodes; i++) {
        uint64_t now = progress(&m->nodes[i]);

        if (ui->armed && now != ui->index[i]) {
            ui->flash[i] = true;
            any = true;
        }
        ui->index[i] = now;
    }
    if (any)
        ui->flash_until = loop_now_ms() + UI_FLASH_MS;
    if (ui->armed)
        ui->armed--;
}

static void on_round(struct app *app, void *ud)
{
    struct session *s = ud;
    struct ui *ui = &s->ui;

    mark_changes(ui);
    if (views[ui->view]->update)
        views[ui->view]->update(ui);
    ui->dirty = true;
    flush(s);
    if (app->opt.iterations > 0 &&
        poller_rounds(app->poller) >= (size_t)app->opt.iterations)
        loop_stop(app->loop);
}

static SCREEN *start_curses(bool color)
{
    SCREEN *screen = newterm(NULL, stdout, stdin);

    if (!screen)
        return NULL;
    cbreak();               /* Ctrl-C still sends SIGINT: the loop stops */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    draw_init(color);
    return screen;
}

int ui_run(struct app *app)
{
    struct session s;
    struct ui *ui = &s.ui;
    SCREEN *screen = NULL;
    const char *fail = NULL;
    int rc = 1;

    memset(&s, 0, sizeof s);
    ui->app = app;
    ui->pos[VIEW_NODES].select = ui->pos[VIEW_MEMBERS].select = true;
    ui->pos[VIEW_CONFIG].select = true;
    ui->pos[VIEW_LOG].follow = ui->pos[VIEW_EVENTS].follow = true;
    setlocale(LC_ALL, "");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fail = "the dashboard needs a terminal (--monitor does not)";
        goto out;
    }
    /* Room for every node the model may come to watch. */
    ui->order = calloc(MODEL_NODES_MAX, sizeof *ui->order);
    ui->index = calloc(MODEL_NODES_MAX, sizeof *ui->index);
    ui->flash = calloc(MODEL_NODES_MAX, sizeof *ui->flash);
    ui->acceptors = calloc(MODEL_ACCEPTORS_MAX, sizeof *ui->acceptors);
    if (!ui->order || !ui->index || !ui->flash || !ui->acceptors) {
        fail = "out of memory";
        goto out;
    }
    screen = start_curses(app->opt.color);
    if (!screen) {
        fail = "cannot use this terminal (is TERM set?)";
        goto out;
    }
    poller_on_round(app->poller, on_round, &s);
    s.timer = loop_timer(app->loop, UI_TICK_MS, on_tick, &s);
    if (!s.timer ||
        loop_watch(app->loop, STDIN_FILENO, LOOP_READ, on_stdin, &s) < 0) {
        fail = "out of memory";
        goto out;
    }
    draw_frame(&s);
    if (loop_run(app->loop) == 0)
        rc = 0;
    else
        fail = "the event loop failed";
out:
    loop_unwatch(app->loop, STDIN_FILENO);
    loop_cancel(app->loop, s.timer);
    poller_on_round(app->poller, NULL, NULL);
    if (screen) {
        endwin();
        delscreen(screen);
    }
    if (fail)
        fprintf(stderr, "paxos-top: %s\n", fail);
    free(ui->order);
    free(ui->index);
    free(ui->flash);
    free(ui->acceptors);
    free(ui->logs);
    return rc;
}

/* view_events.c -- the event history the model records (leader changes,
 * ballot rises, nodes going down and up, paxos-top's own writes), with
 * wall-clock times, newest last; it follows new events until the user
 * scrolls up, and the filter keeps the events that contain it. */
#include <stdio.h>
#include <time.h>

#include "draw.h"
#include "ui.h"

enum { C_TIME, C_TEXT, C_N };

static const struct column columns[C_N] = {
    [C_TIME] = { "TIME",  8, 8, 0, false, false },
    [C_TEXT] = { "EVENT", 40, 10, 0, false, true },
};

/* "HH:MM:SS" of a model time (wall-clock milliseconds). */
static void fmt_time(char *buf, size_t len, int64_t at_ms)
{
    time_t t = (time_t)(at_ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, len, "%H:%M:%S", &tm);
}

static const char *event_text(const struct ui *ui, size_t k)
{
    return model_event_at(&ui->app->model, k)->text;
}

static void draw_event(const struct ui *ui, const struct table *t, int y,
                       size_t k, bool selected)
{
    const struct model_event *e = model_event_at(&ui->app->model, k);
    char when[16];
    const char *cells[C_N] = { when, e->text };

    fmt_time(when, sizeof when, e->at_ms);
    table_row(t, y, cells, NULL, A_NORMAL, false);
}

static void events_draw(struct ui *ui, int top, int height, int width)
{
    struct table t;

    table_layout(&t, columns, C_N, width);
    table_header(&t, top, -1, false);
    ui_draw_rows(ui, &ui->pos[VIEW_EVENTS], &t, top + 1, height - 1,
                 ui->app->model.n_events, event_text, draw_event);
}

static const char *const hints[] = {
    "/", "Filter", "End", "Newest", NULL
};

const struct view view_events = {
    .name = "Events",
    .draw = events_draw,
    .hints = hints,
};

/* view_detail.c -- one node in full: a line about it, its whole last
 * /status pretty-printed, and its last log lines from /view-logs
 * (fetched when the view opens and after every poll round). Scrolls;
 * Left/Right (h/l) show the previous/next node. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "loop.h"
#include "ui.h"

#define DETAIL_TIMEOUT_MS 3000
#define PRETTY (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
                JSON_C_TO_STRING_NOSLASHESCAPE)

static void fetch_logs(struct ui *ui);

/* The "logs" lines of a /view-logs answer, one per line; NULL when the
 * answer has none. */
static char *join_logs(const char *body)
{
    json_object *root = json_tokener_parse(body), *logs;
    char *text = NULL;
    size_t size;
    FILE *f;

    if (!root || !json_object_object_get_ex(root, "logs", &logs) ||
        !json_object_is_type(logs, json_type_array) ||
        !(f = open_memstream(&text, &size)))
        goto out;
    for (size_t i = 0; i < json_object_array_length(logs); i++)
        fprintf(f, "%s\n",
                json_object_get_string(json_object_array_get_idx(logs, i)));
    fclose(f);
out:
    json_object_put(root);
    return text;
}

/* What the page says when the log lines did not come. */
static char *logs_missing(int status, const char *err)
{
    char code[32], *text;

    snprintf(code, sizeof code, "HTTP %d", status);
    if (asprintf(&text, "(no log lines: %s)\n", status ? code : err) < 0)
        return NULL;
    return text;
}

static void logs_done(void *ud, int status, const char *body, size_t len,
                      const char *err)
{
    struct ui *ui = ud;

    ui->logs_busy = false;
    free(ui->logs);
    ui->logs = status == 200 ? join_logs(body) : NULL;
    if (!ui->logs)
        ui->logs = logs_missing(status, err);
    ui->dirty = true;
    if (ui->view == VIEW_DETAIL && ui->logs_of != ui->node)
        fetch_logs(ui);     /* the user moved on while this one ran */
}

static void fetch_logs(struct ui *ui)
{
    const struct endpoint *ep = &ui->app->model.nodes[ui->node].ep;
    char url[MODEL_ADDR_MAX + 32];

    if (ui->logs_busy)
        return;
    if (ui->logs_of != ui->node) {
        free(ui->logs);
        ui->logs = NULL;
    }
    snprintf(url, sizeof url, "http://%s:%u/view-logs", ep->host, ep->port);
    ui->logs_of = ui->node;
    ui->logs_busy = fetch_request(ui->app->fetch, "GET", url, NULL, 0,
                                  DETAIL_TIMEOUT_MS, logs_done, ui) == 0;
    if (!ui->logs_busy && !ui->logs)
        ui->logs = logs_missing(0, "the request could not start");
}

/* The whole page below the title line, malloc'ed. */
static char *detail_text(const struct ui *ui, const struct node_view *n)
{
    json_object *status = n->raw ? json_tokener_parse(n->raw) : NULL;
    char *text = NULL;
    size_t size;
    FILE *f = open_memstream(&text, &size);

    if (!f)
        goto out;
    if (status)
        fprintf(f, "%s\n", json_object_to_json_string_ext(status, PRETTY));
    else
        fprintf(f, "(no /status answer yet)\n");
    fprintf(f, "\n--- last log lines (/view-logs) ---\n%s",
            ui->logs && ui->logs_of == ui->node ? ui->logs : "(fetching)\n");
    fclose(f);
out:
    json_object_put(status);
    return text;
}

static void detail_draw(struct ui *ui, int top, int height, int width)
{
    const struct node_view *n = &ui->app->model.nodes[ui->node];
    struct ui_pos *pos = &ui->pos[VIEW_DETAIL];
    char title[MODEL_ADDR_MAX + 2 * MODEL_TEXT_MAX];
    char *text = detail_text(ui, n);

    if (n->up)
        snprintf(title, sizeof title, "%s  %s  %s:%u  up, %lld ms",
                 n->ep.name, n->role, n->ep.host, n->ep.port,
                 (long long)n->latency_ms);
    else
        snprintf(title, sizeof title, "%s  %s  %s:%u  down: %s", n->ep.name,
                 n->role, n->ep.host, n->ep.port,
                 n->error[0] ? n->error : "no answer yet");
    draw_text(top, 0, width, title,
              draw_style(n->up ? ST_TITLE : ST_BAD), false);
    if (!text) {
        draw_text(top + 1, 0, width, "out of memory", draw_style(ST_BAD),
                  false);
        return;
    }
    ui_scroll_fit(pos, draw_count_lines(text), (size_t)height - 1);
    draw_page(top + 1, height - 1, width, text, pos->top);
    free(text);
}

static enum ui_result detail_key(struct ui *ui, int key)
{
    size_t n = ui->app->model.n_nodes;

    switch (key) {
    case KEY_LEFT: case 'h':
        ui->node = (ui->node + n - 1) % n;
        break;
    case KEY_RIGHT: case 'l':
        ui->node = (ui->node + 1) % n;
        break;
    default:
        return UI_IGNORED;
    }
    ui->pos[VIEW_DETAIL].top = 0;
    fetch_logs(ui);
    return UI_HANDLED;
}

static const char *const hints[] = {
    "Left/Right", "Node", "Esc", "Back", NULL
};

const struct view view_detail = {
    .name = "Detail",
    .draw = detail_draw,
    .key = detail_key,
    .update = fetch_logs,
    .hints = hints,
};

/* draw.c -- paxos-top's drawing kit (see draw.h): styles, width-aware
 * text, sparklines, the header, tab line and key bar, and the column
 * table. Everything draws on stdscr; nothing here knows the views. */
#include "draw.h"

#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define DRAW_MAX_COLS 1024

static attr_t styles[ST_COUNT];
static bool utf8;

/* fg, bg and the attributes of each style in colour, and without. */
static const struct {
    short fg, bg;
    attr_t color, mono;
} style_def[ST_COUNT] = {
    [ST_NORMAL]   = { -1, -1, A_NORMAL, A_NORMAL },
    [ST_OK]       = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
    [ST_WARN]     = { COLOR_YELLOW, -1, A_BOLD, A_UNDERLINE },
    [ST_BAD]      = { COLOR_RED, -1, A_BOLD, A_BOLD },
    [ST_LEADER]   = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
    [ST_DIM]      = { -1, -1, A_DIM, A_DIM },
    [ST_TITLE]    = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
    [ST_COLUMNS]  = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
    [ST_SORTED]   = { COLOR_BLACK, COLOR_CYAN, A_BOLD,
                      A_REVERSE | A_BOLD | A_UNDERLINE },
    [ST_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
    [ST_FLASH]    = { COLOR_BLACK, COLOR_YELLOW, A_BOLD,
                      A_BOLD | A_UNDERLINE },
    [ST_KEY]      = { -1, -1, A_BOLD, A_BOLD },
    [ST_KEYLABEL] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
};

void draw_init(bool color)
{
    bool colors = color && has_colors() && start_color() == OK;
    bool defaults = colors && use_default_colors() == OK;

    utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    for (int s = 0; s < ST_COUNT; s++) {
        short fg = style_def[s].fg, bg = style_def[s].bg;

        if (!colors) {
            styles[s] = style_def[s].mono;
            continue;
        }
        if (!defaults) {
            fg = fg < 0 ? COLOR_WHITE : fg;
            bg = bg < 0 ? COLOR_BLACK : bg;
        }
        init_pair((short)(s + 1), fg, bg);
        styles[s] = COLOR_PAIR(s + 1) | style_def[s].color;
    }
}

attr_t draw_style(enum style s)
{
    return styles[s];
}

/* ---- text ---- */

static void put(int y, int x, const wchar_t *ws, int n, attr_t attr)
{
    attrset(attr);
    mvaddnwstr(y, x, ws, n);
    attrset(A_NORMAL);
}

/* Decodes the character at *s (before end), advancing *s: its width on
 * screen; what cannot be decoded or shown counts as one '?'. */
static int next_char(const char **s, const char *end, mbstate_t *st,
                     wchar_t *wc)
{
    size_t k = mbrtowc(wc, *s, (size_t)(end - *s), st);
    int w;

    if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
        *wc = L'?';
        k = 1;
        memset(st, 0, sizeof *st);
    }
    *s += k;
    w = wcwidth(*wc);
    if (w < 0) {
        *wc = L'?';
        w = 1;
    }
    return w;
}

/* draw_text for the first len bytes of s. */
static int draw_textn(int y, int x, int width, const char *s, size_t len,
                      attr_t attr, bool right)
{
    wchar_t out[DRAW_MAX_COLS + 1];
    unsigned char cw[DRAW_MAX_COLS + 1];
    const char *end = s + len;
    mbstate_t st;
    int n = 0, used = 0;

    if (width > DRAW_MAX_COLS)
        width = DRAW_MAX_COLS;
    if (width <= 0)
        return 0;
    memset(&st, 0, sizeof st);
    while (s < end) {
        int w = next_char(&s, end, &st, &out[n]);

        if (used + w > width || n == DRAW_MAX_COLS) {
            while (n > 0 && used + 1 > width)   /* room for the ellipsis */
                used -= cw[--n];
            out[n++] = utf8 ? L'\u2026' : L'~';
            used++;
            break;
        }
        cw[n++] = (unsigned char)w;
        used += w;
    }
    put(y, right ? x + width - used : x, out, n, attr);
    return used;
}

int draw_text(int y, int x, int width, const char *s, attr_t attr,
              bool right)
{
    return draw_textn(y, x, width, s, strlen(s), attr, right);
}

int draw_width(const char *s)
{
    const char *end = s + strlen(s);
    mbstate_t st;
    wchar_t wc;
    int used = 0;

    memset(&st, 0, sizeof st);
    while (s < end)
        used += next_char(&s, end, &st, &wc);
    return used;
}

size_t draw_count_lines(const char *text)
{
    size_t n = 0;

    for (; *text; n++) {
        const char *nl = strchr(text, '\n');
        text = nl ? nl + 1 : text + strlen(text);
    }
    return n;
}

void draw_page(int top, int height, int width, const char *text,
               size_t first)
{
    for (size_t line = 0; *text && line < first + (size_t)height; line++) {
        size_t len = strcspn(text, "\n");

        if (line >= first)
            draw_textn(top + (int)(line - first), 0, width, text, len,
                       A_NORMAL, false);
        text += len + (text[len] == '\n');
    }
}

void draw_fill(int y, int x, int width, attr_t attr)
{
    if (width <= 0)
        return;
    attrset(attr);
    mvhline(y, x, ' ', width);
    attrset(A_NORMAL);
}

/* The last width samples of a ring of cap values (len of them kept, the
 * newest at next - 1) as bars scaled to their maximum, the newest on the
 * right. */
static void draw_spark(int y, int x, int width, const double *ring,
                       size_t len, size_t next, size_t cap, attr_t attr)
{
    static const wchar_t bars[] = L"\u2581\u2582\u2583\u2584\u2585\u2586"
                                  L"\u2587\u2588";
    static const wchar_t ascii[] = L"_.-:=+*#";
    const wchar_t *levels = utf8 ? bars : ascii;
    wchar_t out[DRAW_MAX_COLS];
    size_t shown = len < (size_t)width ? len : (size_t)width;
    double max = 0;

    if (width <= 0 || cap == 0)
        return;
    if (shown > DRAW_MAX_COLS)
        shown = DRAW_MAX_COLS;
    for (size_t i = 0; i < shown; i++) {
        double v = ring[(next + cap - shown + i) % cap];
        if (v > max)
            max = v;
    }
    /* zero: the lowest bar; above it, seven levels up to the maximum */
    for (size_t i = 0; i < shown; i++) {
        double v = ring[(next + cap - shown + i) % cap];
        int level = v > 0 ? 1 + (int)(v * 7 / max) : 0;

        out[i] = levels[level > 7 ? 7 : level];
    }
    draw_fill(y, x, width, attr);
    put(y, x + width - (int)shown, out, (int)shown, attr);
}

/* ---- header, tabs, key bar ---- */

/* Draws a formatted piece at x when it fits whole before end; returns
 * the column after it (x when it did not fit). */
static int __attribute__((format(printf, 5, 6)))
piece(int y, int x, int end, attr_t attr, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (len < 0 || x + len > end)
        return x;
    return x + draw_text(y, x, end - x, buf, attr, false);
}

static double newest(const double *ring, const struct model *m)
{
    return m->history_len ? ring[(m->history_next + MODEL_HISTORY - 1) %
                                 MODEL_HISTORY] : 0;
}

/* One labelled sparkline of the header's second line in width columns. */
static void header_spark(int x, int width, const char *label,
                         const double *ring, const struct model *m,
                         const char *unit)
{
    char value[32];
    int lw = (int)strlen(label) + 1, vw;

    vw = snprintf(value, sizeof value, " %.1f%s", newest(ring, m), unit);
    if (width < lw + vw + 4)
        return;
    draw_text(1, x, lw, label, draw_style(ST_TITLE), false);
    draw_spark(1, x + lw, width - lw - vw - 1, ring, m->history_len,
               m->history_next, MODEL_HISTORY, draw_style(ST_OK));
    draw_text(1, x + width - vw - 1, vw, value, A_NORMAL, false);
}

void draw_header(const struct model *m, bool paused, int width)
{
    size_t up = 0;
    int x;
    bool quorum = m->acceptors_up >= m->quorum;

    for (size_t i = 0; i < m->n_nodes; i++)
        up += m->nodes[i].up;
    draw_fill(0, 0, width, A_NORMAL);
    draw_fill(1, 0, width, A_NORMAL);
    x = piece(0, 0, width, draw_style(ST_TITLE), " paxos-top ");
    if (paused)
        x = piece(0, x, width, draw_style(ST_FLASH), " PAUSED ");
    x = piece(0, x, width, draw_style(m->leader[0] ? ST_LEADER : ST_BAD),
              " leader %s", m->leader[0] ? m->leader : "none");
    if (m->leader[0])
        x = piece(0, x, width, A_NORMAL, "  ballot %u.%u",
                  m->leader_ballot.round, m->leader_ballot.node);
    x = piece(0, x, width, A_NORMAL, "  log %llu",
              (unsigned long long)m->log_length);
    x = piece(0, x, width, draw_style(quorum ? ST_OK : ST_BAD),
              "  %s %zu/%zu need %zu", model_quorum_of(m), m->acceptors_up,
              m->acceptors_total, m->quorum);
    piece(0, x, width, draw_style(up == m->n_nodes ? ST_NORMAL : ST_WARN),
          "  nodes %zu/%zu up", up, m->n_nodes);

    header_spark(0, width / 2, " writes/s", m->writes_per_s, m, "");
    header_spark(width / 2, width - width / 2, "commit", m->latency_ms, m,
                 "ms");
}

void draw_tabs(int y, int width, const char *const *names, size_t n,
               size_t current, const char *extra)
{
    int x = 0;

    draw_fill(y, 0, width, A_NORMAL);
    for (size_t i = 0; i < n; i++) {
        int next = piece(y, x, width,
                         i == current ? draw_style(ST_SELECTED) : A_NORMAL,
                         " %zu %s ", i + 1, names[i]);
        if (next == x)
            break;
        x = next;
    }
    if (extra && x + 2 < width)
        draw_text(y, x + 1, width - x - 2, extra, draw_style(ST_DIM), true);
}

int draw_keybar(int y, int x, int end, const char *const *hints)
{
    for (; hints[0]; hints += 2) {
        int kw = (int)strlen(hints[0]), lw = (int)strlen(hints[1]) + 1;

        if (x + kw + lw > end)
            continue;
        x += draw_text(y, x, kw, hints[0], draw_style(ST_KEY), false);
        draw_fill(y, x, lw, draw_style(ST_KEYLABEL));
        x += draw_text(y, x, lw, hints[1], draw_style(ST_KEYLABEL), false);
        x += 1;
    }
    return x;
}

/* ---- the column table ---- */

void table_layout(struct table *t, const struct column *cols, size_t n,
                  int width)
{
    bool on[TABLE_MAX];
    int need = -1, left;
    unsigned char top = 0;

    if (n > TABLE_MAX)
        n = TABLE_MAX;
    t->cols = cols;
    t->n = n;
    t->width = width;
    for (size_t i = 0; i < n; i++) {
        on[i] = true;
        need += cols[i].min + 1;
        if (cols[i].drop > top)
            top = cols[i].drop;
    }
    while (need > width) {          /* drop the least needed column */
        size_t worst = n;
        for (size_t i = 0; i < n; i++)
            if (on[i] && cols[i].drop &&
                (worst == n || cols[i].drop >= cols[worst].drop))
                worst = i;
        if (worst == n)
            break;
        on[worst] = false;
        need -= cols[worst].min + 1;
    }
    left = width > need ? width - need : 0;
    for (size_t i = 0; i < n; i++)
        t->w[i] = on[i] ? cols[i].min : 0;
    for (unsigned level = 0; level <= top; level++)  /* most needed first */
        for (size_t i = 0; i < n && left > 0; i++) {
            int more = cols[i].width - t->w[i];
            if (!on[i] || cols[i].drop != level || more <= 0)
                continue;
            if (more > left)
                more = left;
            t->w[i] += more;
            left -= more;
        }
    for (size_t i = 0; i < n && left > 0; i++)
        if (on[i] && cols[i].grow) {
            t->w[i] += left;
            left = 0;
        }
    for (size_t i = 0, x = 0; i < n; i++) {
        t->x[i] = (int)x;
        if (on[i])
            x += (size_t)t->w[i] + 1;
    }
}

void table_header(const struct table *t, int y, int sorted, bool descending)
{
    const char *arrow = utf8 ? (descending ? "\u25bc" : "\u25b2")
                             : (descending ? "v" : "^");

    draw_fill(y, 0, t->width, draw_style(ST_COLUMNS));
    for (size_t i = 0; i < t->n; i++) {
        bool lit = (int)i == sorted;
        attr_t attr = draw_style(lit ? ST_SORTED : ST_COLUMNS);
        int used, x = t->x[i];

        if (!t->w[i])
            continue;
        draw_fill(y, x, t->w[i], attr);
        used = draw_text(y, x, t->w[i], t->cols[i].title, attr,
                         t->cols[i].right);
        /* the order: after a left-aligned title, else in the gap after */
        x += t->cols[i].right || used >= t->w[i] ? t->w[i] : used;
        if (lit && x < t->width)
            draw_text(y, x, 1, arrow, attr, false);
    }
}

void table_row(const struct table *t, int y, const char *const *cells,
               const attr_t *cell_attr, attr_t attr, bool whole)
{
    draw_fill(y, 0, t->width, attr);
    for (size_t i = 0; i < t->n; i++)
        if (t->w[i])
            draw_text(y, t->x[i], t->w[i], cells[i],
                      whole || !cell_attr ? attr : cell_attr[i],
                      t->cols[i].right);
}

/* view_help.c -- the keys, on ? or F1; Esc, q, ? or F1 close it. */
#include "ui.h"

static const char help_text[] =
    "paxos-top: watch a Paxos cluster and drive it\n"
    "\n"
    "Views\n"
    "  1 Nodes     one row per node: role, up/down, ballots, accepted,\n"
    "              chosen/applied, members alive/suspect/dead, latency\n"
    "  2 Log       the learned log: slot, ballot, value, learners\n"
    "  3 Members   the gossip matrix: observer x member, A/S/D/-\n"
    "  4 Detail    the selected node's /status and its last log lines\n"
    "  5 Events    what changed, newest last\n"
    "  6 Config    the acceptor set (c): the configuration in force, those\n"
    "              to come, every acceptor's member identity and standing\n"
    "  7 Help      this page\n"
    "  Tab         next view (Shift-Tab: previous)\n"
    "  Enter       open the selected node's detail\n"
    "  Esc         back (clears the filter first)\n"
    "\n"
    "Moving\n"
    "  Up/Down j/k     select or scroll       PgUp/PgDn   a page\n"
    "  Home/End g/G    first / last (End follows the newest line)\n"
    "  Left/Right h/l  previous / next node in the detail view\n"
    "\n"
    "Table\n"
    "  < > F6     sort by the previous / next column\n"
    "  r I        invert the sort order\n"
    "  /          filter (Enter keeps it, Esc clears it)\n"
    "\n"
    "Cluster\n"
    "  w          write a value through a client node\n"
    "  d          write a value straight to a proposer (direct write)\n"
    "             the reply shows on the status line; the rows whose\n"
    "             chosen/applied index moves are highlighted\n"
    "  p Space    pause / resume polling\n"
    "\n"
    "Acceptor set (in the Config view; POST /voters to a proposer)\n"
    "  a          add an acceptor: a spare, or one waiting to be admitted\n"
    "             again after its data directory was lost\n"
    "  x          remove a voter\n"
    "  s          replace a voter: type OLD NEW\n"
    "             a and s type in the selected acceptor when it fits (x\n"
    "             never does: a voter is removed by name); Ctrl-U\n"
    "             clears the prompt; the answer shows on the status line\n"
    "\n"
    "Screen\n"
    "  Ctrl-L     redraw\n"
    "  q F10      quit\n"
    "\n"
    "In the Nodes view an acceptor that does not vote shows why in STATE:\n"
    "waiting (to be admitted), joining, new, coming, nonvoter.\n"
    "\n"
    "Colours are off with --no-color or NO_COLOR; --readonly turns writes\n"
    "and changes off; -n N quits after N polls.\n";

static void help_draw(struct ui *ui, int top, int height, int width)
{
    struct ui_pos *pos = &ui->pos[VIEW_HELP];

    ui_scroll_fit(pos, draw_count_lines(help_text), (size_t)height);
    draw_page(top, height, width, help_text, pos->top);
}

static enum ui_result help_key(struct ui *ui, int key)
{
    if (key != UI_KEY_ESC && key != 'q' && key != '?' && key != KEY_F(1))
        return UI_IGNORED;
    ui_back(ui);
    return UI_HANDLED;
}

static const char *const hints[] = { "Esc", "Close", NULL };

const struct view view_help = {
    .name = "Help",
    .draw = help_draw,
    .key = help_key,
    .hints = hints,
};

/* app.js -- what the client node's page does: polls this node's status,
 * gossip/nodes, read (its last values) and get-responses every second and
 * draws them; sends the form's value with POST send; reads the last 1000
 * values on demand. When the node wants a client token (401), asks for
 * it, keeps it for this tab, and
 * sends it as "Authorization: Bearer" from then on.
 *
 * Every URL is relative ('status', never '/status'), so the page works at /
 * and under a path prefix. Everything that comes from the cluster is put
 * in the page as text (text nodes, textContent), never parsed as HTML. */
'use strict';

const POLL_MS = 1000;
const LOG_ROWS = 10;        // last values of the log shown live
const RESPONSE_ROWS = 12;   // latest responses shown
const READ_ROWS = 1000;     // values a read lists at most
const VALUE_CHARS = 200;    // longer values are cut, the rest in a tooltip

const TOKEN_KEY = 'paxosd-client-token';

const $ = (id) => document.getElementById(id);
let namesById = new Map();  // node id -> name, from the member list
let token = storedToken();

// An element with attributes; its children are nodes or text (a string or
// number becomes a text node: never HTML).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  e.append(...children.filter((c) => c !== null && c !== undefined));
  return e;
}

function valueCell(value) {
  const text = String(value);
  const td = el('td', { class: 'val' },
    text.length > VALUE_CHARS ? text.slice(0, VALUE_CHARS) + '…' : text);
  if (text.length > VALUE_CHARS) td.title = text;
  return td;
}

function badge(state) {
  return el('span', { class: 'badge ' + state }, state);
}

function ballotText(b) {
  return b ? b.round + '.' + b.node : '—';
}

function duration(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

function storedToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  } catch (e) {
    return '';      // storage off: the token lasts as long as the page
  }
}

function askForToken() {
  $('token-note').textContent = token ? 'The node refused this client token.'
    : 'This node asks for its client token.';
  $('token-form').hidden = false;
}

// GETs (or sends) a JSON route of this node; throws with the node's
// {"error": ...} text, or a plain one when there was no answer.
async function api(path, options) {
  const init = Object.assign({ cache: 'no-store' }, options);
  const used = token;
  if (used)
    init.headers = Object.assign({ Authorization: 'Bearer ' + used }, init.headers);
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Error('no answer from the node');
  }
  if (response.status === 401 && used === token)   // not a call made before
    askForToken();                                  // the token was given
  const body = await response.json().catch(() => null);
  if (!response.ok)
    throw new Error((body && body.error) || 'HTTP ' + response.status);
  return body;
}

// Runs task now, then POLL_MS after each run ends. The function returned
// runs it again at once (or right after the run in progress).
function poll(task) {
  let timer = 0;
  let running = false;
  let again = false;
  async function run() {
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = true;
    try {
      await task();
    } finally {     // an answer of an unexpected shape must not stop it
      running = false;
      if (again) {
        again = false;
        run();
      } else {
        timer = setTimeout(run, POLL_MS);
      }
    }
  }
  run();
  return run;
}

function setConnection(ok, text) {
  const pill = $('conn');
  pill.className = 'pill ' + (ok ? 'live' : 'down');
  pill.textContent = text;
}

async function refreshStatus() {
  let s;
  try {
    s = await api('status');
  } catch (e) {
    setConnection(false, e.message);
    return;
  }
  setConnection(true, 'live');
  namesById = new Map((s.members || []).map((m) => [m.id, m.name]));
  document.title = s.name + ' · paxosd';
  $('node-name').textContent = s.name;
  $('node-info').textContent = s.role + ' node ' + s.id + ' at ' + s.address +
    ' · up ' + duration(s.uptime_ms);
  const hint = s.leader_hint;
  $('leader').textContent = hint ? namesById.get(hint.id) || 'node ' + hint.id : 'none yet';
  $('leader-sub').textContent = 'this client sends to ' + s.leader_name;
  $('ballot').textContent = ballotText(hint && hint.ballot);
  const counts = s.member_counts || {};
  $('members-count').textContent = (counts.alive || 0) + ' / ' +
    ((counts.alive || 0) + (counts.suspect || 0) + (counts.dead || 0));
  $('members-sub').textContent = 'alive' +
    (counts.suspect ? ', ' + counts.suspect + ' suspect' : '') +
    (counts.dead ? ', ' + counts.dead + ' dead' : '');
}

async function refreshMembers() {
  let g;
  try {
    g = await api('gossip/nodes');
  } catch (e) {
    return;     // the status pill already says the node does not answer
  }
  const leader = g.leader_hint ? g.leader_hint.id : null;
  const rows = g.members.slice().sort((a, b) => a.id - b.id).map((m) =>
    el('tr', null,
      el('td', null, m.name,
        m.id === g.self ? el('span', { class: 'tag' }, 'this node') : null,
        m.id === leader ? el('span', { class: 'tag' }, 'leader') : null),
      el('td', { class: 'hide-narrow' }, m.role),
      el('td', { class: 'dim hide-narrow' }, m.address),
      el('td', null, badge(m.state)),
      el('td', { class: 'num dim' },
        m.id === g.self ? '—' : (m.last_heard_ms / 1000).toFixed(1) + ' s ago')));
  $('members-body').replaceChildren(...rows);
}

function drawLog(r) {
  const values = r.values || [];
  const rows = values.slice(-LOG_ROWS).reverse().map((v) =>
    el('tr', null,
      el('td', { class: 'num' }, v.slot),
      valueCell(v.value),
      el('td', { class: 'dim hide-narrow' }, v.client_id + ' · ' + v.seq)));
  $('log-body').replaceChildren(...rows);
  $('log-empty').hidden = rows.length > 0;
  $('applied').textContent = r.applied;
  $('log-sub').textContent = 'slots applied · ' + r.count +
    (r.count === 1 ? ' value' : ' values');
}

async function refreshLog() {
  try {
    drawLog(await api('read?last=' + LOG_ROWS));
  } catch (e) {
    $('log-sub').textContent = 'read failed: ' + e.message;
  }
}

async function refreshResponses() {
  let r;
  try {
    r = await api('get-responses');
  } catch (e) {
    return;
  }
  const all = r.responses || [];
  const chosen = all.filter((x) => x.status === 'chosen').length;
  const rows = all.slice(-RESPONSE_ROWS).reverse().map((x) =>
    el('tr', null,
      valueCell(x.value),
      el('td', x.error ? { title: x.error } : null, badge(x.status)),
      el('td', { class: 'num' }, x.slot === undefined ? '—' : x.slot),
      el('td', { class: 'num' }, x.latency_ms + ' ms'),
      el('td', { class: 'dim hide-narrow' }, x.learned_by.join(', ') || '—')));
  $('responses-body').replaceChildren(...rows);
  $('responses-empty').hidden = rows.length > 0;
  $('responses-sub').textContent = chosen + ' chosen · ' +
    (all.length - chosen) + ' not chosen · ' + r.pending + ' pending';
}

const refresh = {
  status: poll(refreshStatus),
  members: poll(refreshMembers),
  log: poll(refreshLog),
  responses: poll(refreshResponses),
};

function showResult(kind, ...parts) {
  const p = $('send-result');
  p.className = 'result ' + kind;
  p.replaceChildren(...parts);
}

$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('send-value');
  const button = $('send-button');
  const value = input.value;
  button.disabled = true;
  showResult('', 'Waiting for the cluster to choose it…');
  try {
    const r = await api('send', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    showResult('ok', 'Chosen at slot ' + r.slot + ' in ' + r.latency_ms +
      ' ms by ' + r.leader + ', ballot ' + ballotText(r.ballot) + '.');
    input.value = '';
  } catch (e) {
    showResult('error', 'Not written: ' + e.message);
  }
  button.disabled = false;
  refresh.log();
  refresh.responses();
});

$('read-button').addEventListener('click', async () => {
  const button = $('read-button');
  button.disabled = true;
  $('read-result').hidden = false;
  $('read-head').textContent = 'Reading…';
  try {
    const r = await api('read?last=' + READ_ROWS);
    const values = r.values || [];
    drawLog(r);
    $('read-head').textContent = 'Linearizable read from ' + r.learner +
      ': ' + r.count + (r.count === 1 ? ' value' : ' values') +
      ', applied up to slot ' + r.applied +
      (r.count > values.length ? ' (the last ' + values.length + ' shown)' : '') + '.';
    $('read-list').replaceChildren(...values.map((v) =>
      el('li', null, el('span', { class: 'num' }, v.slot),
        el('span', { class: 'val' }, v.value))));
  } catch (e) {
    $('read-head').textContent = 'Read failed: ' + e.message;
    $('read-list').replaceChildren();
  }
  button.disabled = false;
});

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token-value').value;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (e) {
    // kept in this page only
  }
  $('token-value').value = '';
  $('token-form').hidden = true;
  Object.values(refresh).forEach((run) => run());
});

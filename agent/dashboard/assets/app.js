// The Corral dashboard: one page, two views (#/ every server, #/server/NAME one server), fed by
// the agent's server-sent events. Everything it loads comes from the agent.
'use strict';

const TROUBLE = new Set(['BACKOFF', 'FATAL', 'FAILED']);
const MAX_EVENTS = 200;
const MAX_LOG_LINES = 2000;

const app = {
  session: null,
  rows: new Map(),  // name -> row from the agent
  events: [],       // newest last
  sortKey: 'name',
  sortAsc: true,
  filter: '',
  server: null,     // the name shown on the server page, or null
  charts: null,
  log: null,        // EventSource of the open server's log
  workersAt: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// ---- formatting ----
const shortState = (s) => (s || '').replace(/^STATE_/, '');
const shortEnum = (s, prefix) => (s || '').replace(prefix, '').toLowerCase();
function fmtNum(v, digits) { return Number(v || 0).toFixed(digits); }
function fmtMs(v) { return v ? (v < 1 ? (v * 1000).toFixed(0) + ' µs' : v.toFixed(2) + ' ms') : '–'; }
function fmtBytes(v) {
  if (!v) return '–';
  const mib = v / 1048576;
  return mib >= 1024 ? (mib / 1024).toFixed(2) + ' GiB' : mib.toFixed(1) + ' MiB';
}
function fmtUptime(s) {
  if (!s) return '–';
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d) return d + 'd ' + h + 'h';
  if (h) return h + 'h ' + m + 'm';
  return m + 'm ' + (s % 60) + 's';
}
function program(r) { return r.program.startsWith('PROTOCOL_') ? shortEnum(r.program, 'PROTOCOL_') : r.program; }

const COLUMNS = [
  ['name', (r) => r.name],
  ['state', (r) => shortState(r.state)],
  ['program', program],
  ['model', (r) => shortEnum(r.model, 'MODEL_')],
  ['address', (r) => r.address || '–'],
  ['conns', (r) => String(r.conns)],
  ['rps', (r) => fmtNum(r.rps, 1)],
  ['p50', (r) => fmtMs(r.p50)],
  ['p99', (r) => fmtMs(r.p99)],
  ['eps', (r) => fmtNum(r.eps, 1)],
  ['cpu', (r) => fmtNum(r.cpu, 1) + ' %'],
  ['rss', (r) => fmtBytes(r.rss)],
  ['restarts', (r) => String(r.restarts)],
  ['uptime', (r) => fmtUptime(r.uptime)],
];

// ---- the list ----
function visibleRows() {
  const f = app.filter.toLowerCase();
  const rows = [...app.rows.values()].filter((r) => !f ||
      [r.name, shortState(r.state), program(r), r.model, r.address].join(' ').toLowerCase().includes(f));
  const k = app.sortKey;
  rows.sort((a, b) => {
    const x = a[k], y = b[k];
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
    return app.sortAsc ? c : -c;
  });
  return rows;
}

function renderList() {
  const body = $('servers').tBodies[0];
  const rows = visibleRows();
  const fresh = document.createDocumentFragment();
  for (const r of rows) {
    const tr = el('tr', {'data-name': r.name, 'data-state': shortState(r.state)});
    if (TROUBLE.has(shortState(r.state))) tr.className = 'trouble';
    for (const [key, fmt] of COLUMNS) {
      const td = el(key === 'name' ? 'th' : 'td', {'data-col': key});
      if (key === 'name') {
        td.setAttribute('scope', 'row');
        td.appendChild(el('a', {href: '#/server/' + encodeURIComponent(r.name)}, r.name));
      } else {
        td.textContent = fmt(r);
        if (key === 'state' && r.reason) td.title = r.reason;
      }
      if (['conns', 'rps', 'p50', 'p99', 'eps', 'cpu', 'rss', 'restarts', 'uptime'].includes(key)) {
        td.classList.add('num');
      }
      tr.appendChild(td);
    }
    fresh.appendChild(tr);
  }
  body.replaceChildren(fresh);
  $('count').textContent = rows.length === app.rows.size ? `(${app.rows.size})`
                                                          : `(${rows.length} of ${app.rows.size})`;
  $('empty').hidden = app.rows.size !== 0;
  for (const th of $('servers').tHead.rows[0].cells) {
    th.setAttribute('aria-sort', th.dataset.key === app.sortKey
        ? (app.sortAsc ? 'ascending' : 'descending') : 'none');
  }
}

// Servers in BACKOFF, FATAL or FAILED, with their reason, above every view.
function renderAlerts() {
  const box = $('alerts');
  const bad = [...app.rows.values()].filter((r) => TROUBLE.has(shortState(r.state)));
  const items = bad.map((r) => {
    const p = el('p', {'class': 'alert', 'data-name': r.name});
    p.appendChild(el('a', {href: '#/server/' + encodeURIComponent(r.name)}, r.name));
    p.appendChild(document.createTextNode(' is ' + shortState(r.state) + (r.reason ? ': ' + r.reason : '')));
    return p;
  });
  box.replaceChildren(...items);
}

// ---- one server ----
function renderServer() {
  const r = app.rows.get(app.server);
  const state = $('server-state');
  if (!r) {
    state.textContent = 'No such server (it may have been removed).';
    state.dataset.state = 'GONE';
    $('actions').replaceChildren();
    return;
  }
  const s = shortState(r.state);
  state.dataset.state = s;
  state.className = TROUBLE.has(s) ? 'bad' : '';
  // STATUS= is the process's own word: stale once it is gone.
  const status = s === 'RUNNING' && r.status ? ' — ' + r.status : '';
  state.textContent = s + (r.reason ? ': ' + r.reason : '') + status;
  const facts = [
    ['Protocol or program', program(r)], ['Model', shortEnum(r.model, 'MODEL_')],
    ['Address', r.address || '–'], ['PID', r.pid || '–'], ['Connections', r.conns],
    ['Requests/s', fmtNum(r.rps, 1)], ['p50 / p99', fmtMs(r.p50) + ' / ' + fmtMs(r.p99)],
    ['Errors/s', fmtNum(r.eps, 1)], ['CPU', fmtNum(r.cpu, 1) + ' %'], ['RSS', fmtBytes(r.rss)],
    ['Workers busy / idle / cap', `${r.busy} / ${r.idle} / ${r.cap || '–'}`],
    ['Restarts', r.restarts], ['Uptime', fmtUptime(r.uptime)],
  ];
  const dl = document.createDocumentFragment();
  for (const [k, v] of facts) {
    const div = el('div');
    div.appendChild(el('dt', {}, k));
    div.appendChild(el('dd', {'data-fact': k}, String(v)));
    dl.appendChild(div);
  }
  $('server-facts').replaceChildren(dl);
  renderActions(s);
}

function renderActions(state) {
  const box = $('actions');
  const allowed = app.session ? app.session.actions : [];
  const wanted = allowed.filter((a) => {
    if (a === 'start') return ['STOPPED', 'FAILED', 'FATAL'].includes(state);
    if (a === 'stop') return !['STOPPED', 'FAILED', 'FATAL'].includes(state);
    return true;
  });
  if (box.dataset.shown === wanted.join(',')) return;  // keep focus on a button being used
  box.dataset.shown = wanted.join(',');
  box.replaceChildren(...wanted.map((a) => {
    const b = el('button', {type: 'button', 'data-action': a}, a[0].toUpperCase() + a.slice(1));
    b.addEventListener('click', () => act(a));
    return b;
  }));
}

async function act(what) {
  const name = app.server;
  if (what === 'remove' && !window.confirm(`Remove ${name} and delete its logs?`)) return;
  const out = $('action-result');
  out.textContent = `${what} ${name}…`;
  const res = await fetch(`/api/action?name=${encodeURIComponent(name)}&do=${what}`, {
    method: 'POST', headers: {'X-Corral-CSRF': app.session.csrf}, credentials: 'same-origin'});
  const body = await res.json().catch(() => ({}));
  out.textContent = res.ok ? `${what} ${name}: done` : `${what} ${name}: ${body.error || res.status}`;
  if (res.ok && what === 'remove') location.hash = '#/';
}

function renderEvents() {
  if (!app.server) return;
  const mine = app.events.filter((e) => e.name === app.server).slice(-50).reverse();
  $('events').replaceChildren(...mine.map((e) => {
    const li = el('li', {'data-kind': e.kind});
    const when = new Date(e.time * 1000).toLocaleTimeString();
    li.textContent = `${when} ${e.kind}` + (e.pid ? ` pid ${e.pid}` : '') +
        (e.exit ? ` (${e.exit})` : '') + (e.reason ? `: ${e.reason}` : '');
    if (TROUBLE.has(e.kind)) li.className = 'bad';
    return li;
  }));
}

async function refreshWorkers() {
  const now = Date.now();
  // Every 5 s: a per-worker sample is the dearest thing the page asks for (one entry per slot).
  if (!app.server || now - app.workersAt < 5000) return;
  app.workersAt = now;
  const res = await fetch('/api/workers?name=' + encodeURIComponent(app.server));
  if (!res.ok) return;
  const {workers} = await res.json();
  $('workers').tBodies[0].replaceChildren(...workers.map((w) => {
    const tr = el('tr');
    for (const v of [w.slot, w.pid, w.tid, w.state, w.requests, fmtNum(w.rps, 1)]) {
      tr.appendChild(el('td', {}, String(v)));
    }
    tr.lastChild.className = 'num';
    tr.cells[4].className = 'num';
    return tr;
  }));
}

function openLog(name) {
  const pre = $('log');
  pre.textContent = '';
  $('log-state').textContent = '(following)';
  app.log = new EventSource('/api/log?name=' + encodeURIComponent(name));
  app.log.addEventListener('lines', (m) => {
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const lines = (pre.textContent ? pre.textContent.split('\n') : []).concat(JSON.parse(m.data));
    pre.textContent = lines.slice(-MAX_LOG_LINES).join('\n');
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  });
  app.log.addEventListener('failed', (m) => {
    $('log-state').textContent = '(' + JSON.parse(m.data) + ')';
    app.log.close();
  });
}

async function showServer(name) {
  app.server = name;
  $('server-name').textContent = name;
  $('action-result').textContent = '';
  $('actions').dataset.shown = '';
  renderServer();
  renderEvents();
  openLog(name);
  app.workersAt = 0;
  refreshWorkers();
  const res = await fetch('/api/history?name=' + encodeURIComponent(name));
  const history = res.ok ? await res.json() : {points: []};
  if (app.server !== name) return;
  app.charts = window.CorralCharts ? window.CorralCharts.create($('charts'), history.points) : null;
  $('charts-unavailable').hidden = app.charts !== null;
}

function leaveServer() {
  if (app.log) app.log.close();
  app.log = null;
  if (app.charts) app.charts.destroy();
  app.charts = null;
  app.server = null;
}

// ---- routing and the live feed ----
function route() {
  leaveServer();
  const m = location.hash.match(/^#\/server\/(.+)$/);
  $('list').hidden = !!m;
  $('server').hidden = !m;
  if (m) {
    showServer(decodeURIComponent(m[1]));
  } else {
    renderList();
  }
}

function onServers(rows, time) {
  app.rows = new Map(rows.map((r) => [r.name, r]));
  renderAlerts();
  if (app.server) {
    renderServer();
    const r = app.rows.get(app.server);
    if (r && app.charts) {
      app.charts.append([time, r.rps, r.p50, r.p99, r.eps, r.cpu, r.rss / 1048576]);
    }
    refreshWorkers();
  } else {
    renderList();
  }
}

function onEvent(e) {
  app.events.push(e);
  if (app.events.length > MAX_EVENTS) app.events.shift();
  // The state changes at once, before the next table (a second later) confirms it.
  const r = app.rows.get(e.name);
  if (r) {
    r.state = e.state;
    if (TROUBLE.has(e.kind)) r.reason = e.reason;
    if (['EXITED', 'BACKOFF', 'FATAL', 'FAILED', 'STOPPED'].includes(e.kind)) {
      Object.assign(r, {pid: 0, address: '', conns: 0, rps: 0, cpu: 0, uptime: 0});
    }
    if (e.kind === 'REMOVED') app.rows.delete(e.name);
  }
  renderAlerts();
  if (app.server) { renderServer(); renderEvents(); } else { renderList(); }
}

function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('servers', (m) => onServers(JSON.parse(m.data), Date.now() / 1000));
  es.addEventListener('event', (m) => onEvent(JSON.parse(m.data)));
  es.onopen = () => { $('link').textContent = 'live'; };
  es.onerror = async () => {
    $('link').textContent = 'reconnecting…';
    const res = await fetch('/api/session');
    if (res.status === 401) { es.close(); showLogin(); }
  };
}

function showLogin() {
  $('login').hidden = false;
  $('list').hidden = true;
  $('server').hidden = true;
  $('login-failed').hidden = !location.search.includes('login=failed');
  $('token').focus();
}

async function start() {
  for (const th of $('servers').tHead.rows[0].cells) {
    th.querySelector('button').addEventListener('click', () => {
      const k = th.dataset.key;
      app.sortAsc = app.sortKey === k ? !app.sortAsc : true;
      app.sortKey = k;
      renderList();
    });
  }
  $('filter').addEventListener('input', (e) => { app.filter = e.target.value; renderList(); });
  $('logout').addEventListener('click', async () => {
    await fetch('/logout', {method: 'POST', headers: {'X-Corral-CSRF': app.session.csrf}});
    location.href = '/';
  });
  const res = await fetch('/api/session');
  if (res.status === 401) return showLogin();
  app.session = await res.json();
  $('who').textContent = `${app.session.name} (${app.session.role})`;
  $('who').dataset.role = app.session.role;
  $('logout').hidden = !app.session.tokens;
  if (location.search) history.replaceState(null, '', '/' + location.hash);
  window.addEventListener('hashchange', route);
  route();
  connect();
}

start();

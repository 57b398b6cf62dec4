#!/usr/bin/env node
// The investigator console in a real browser: Debian's chromium driven by playwright-core.
//
//   node e2e/console.mjs --bin target/release/clawback [--screenshots docs/screenshots] [--keep]
//
// Builds nothing: it is given the `clawback` binary. In a new temporary data directory it
// simulates a small world, creates an investigator key (and an admin key to post events),
// starts `clawback serve` on a free loopback port (port 0; the server prints the port),
// posts the world to POST /v1/events in JSON Lines batches, then in the browser: logs in
// with the key, checks the queue is the API's order, opens the top case with the keyboard
// (j, Enter), checks the entity graph is drawn with nodes, reveals PII with a
// justification (and finds that read in the audit log), checks the status control shows the
// case's current status (selected) after each move, moves the case to investigating,
// records a `hold_refunds` action on one of its accounts, moves it to actioned, and checks
// the action and the status both on the page and in GET /v1/cases/{id}. Screenshots of the
// queue and of the case page go to --screenshots (default: the temporary directory, kept
// only when the run fails or with --keep).
//
// Any failed step prints what was expected and what was found, saves the page as
// failure.png in the kept temporary directory, and exits 1.
//
// Environment: CHROMIUM (default /usr/bin/chromium).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

// ------------------------------------------------------------------ arguments

function usage(msg) {
  if (msg) console.error(`console.mjs: ${msg}`);
  console.error('usage: node e2e/console.mjs --bin PATH/TO/clawback [--screenshots DIR] [--keep]');
  process.exit(2);
}

const args = { bin: null, screenshots: null, keep: false, customers: 500, days: 20, seed: 11 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const val = () => {
    const v = process.argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  if (a === '--bin') args.bin = resolve(val());
  else if (a === '--screenshots') args.screenshots = resolve(val());
  else if (a === '--keep') args.keep = true;
  else if (a === '--customers') args.customers = Number(val());
  else if (a === '--days') args.days = Number(val());
  else if (a === '--seed') args.seed = Number(val());
  else if (a === '-h' || a === '--help') usage();
  else usage(`unknown argument ${a}`);
}
if (!args.bin) usage('give the clawback binary with --bin (build it first: cargo build --release)');
if (!existsSync(args.bin)) usage(`--bin ${args.bin}: no such file (build it first: cargo build --release)`);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  usage(`${chromiumPath} does not exist: install Debian's chromium (apt-get install chromium) or set CHROMIUM`);
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (e) {
  usage(`cannot load playwright-core (${e.message}): run \`npm ci\` in e2e/`);
}

// ------------------------------------------------------------------ steps

const dir = mkdtempSync(join(tmpdir(), 'clawback-e2e-'));
const shots = args.screenshots || join(dir, 'screenshots');
mkdirSync(shots, { recursive: true });
let server = null;
let serverErr = '';
let browser = null;
let page = null;
let passed = 0;

class StepFailure extends Error {}

/** Throws a step failure saying what was expected and what was found. */
function expect(cond, what) {
  if (!cond) throw new StepFailure(what);
}

async function step(name, f) {
  const t0 = performance.now();
  try {
    const r = await f();
    passed++;
    console.log(`ok   ${name} (${Math.round(performance.now() - t0)} ms)`);
    return r;
  } catch (e) {
    console.error(`FAIL ${name}: ${e instanceof StepFailure ? e.message : e.stack || e}`);
    await fail();
  }
}

async function fail() {
  if (page) {
    try {
      await page.screenshot({ path: join(dir, 'failure.png'), fullPage: true });
      console.error(`     the page at ${page.url()} is in ${join(dir, 'failure.png')}`);
    } catch {
      /* the browser may be gone */
    }
  }
  if (serverErr) console.error(`     the server's last stderr:\n${serverErr.split('\n').slice(-15).join('\n')}`);
  await cleanup(true);
  console.log(`e2e: ${passed} passed, 1 failed`);
  process.exit(1);
}

async function cleanup(keep) {
  if (browser) await browser.close().catch(() => {});
  browser = null;
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill('SIGKILL');
        r();
      }, 5000);
      server.once('exit', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  if (keep || args.keep) console.error(`     kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

process.on('SIGINT', async () => {
  await cleanup(false);
  process.exit(130);
});

function run(argv) {
  const r = spawnSync(args.bin, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new StepFailure(`clawback ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new StepFailure(`clawback ${argv.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

let base = '';
const keys = {};

async function api(method, path, key, { body, contentType, headers = {} } = {}) {
  const h = { Authorization: `Bearer ${key}`, ...headers };
  if (contentType) h['Content-Type'] = contentType;
  const r = await fetch(base + path, { method, headers: h, body });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, json, text };
}

async function apiOk(method, path, key, opts) {
  const r = await api(method, path, key, opts);
  expect(r.status === 200 && r.json, `${method} ${path}: expected 200 with JSON, got ${r.status}: ${r.text.slice(0, 300)}`);
  return r.json;
}

// ------------------------------------------------------------------ the world and the server

const world = join(dir, 'world');
const data = join(dir, 'data');

await step(`simulate a world (${args.customers} customers, ${args.days} days)`, () => {
  run(['simulate', '--customers', String(args.customers), '--days', String(args.days), '--seed', String(args.seed), '--out', world]);
  expect(existsSync(join(world, 'events.jsonl')), `no ${join(world, 'events.jsonl')}`);
});

await step('create an investigator and an admin key', () => {
  keys.inv = run(['keys', 'create', '--data', data, '--role', 'investigator', '--name', 'alice']).trim();
  keys.admin = run(['keys', 'create', '--data', data, '--role', 'admin', '--name', 'e2e-ingest']).trim();
  expect(keys.inv && !keys.inv.includes('\n'), `keys create printed ${JSON.stringify(keys.inv)}, not one key`);
});

await step('start clawback serve on a free loopback port', async () => {
  server = spawn(args.bin, ['serve', '--data', data, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.on('data', (d) => {
    serverErr = (serverErr + d.toString()).slice(-8000);
  });
  const addr = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new StepFailure('the server printed no "listening on" line within 60 s')), 60000);
    server.once('exit', (code) => rej(new StepFailure(`the server exited with ${code} before listening`)));
    createInterface({ input: server.stdout }).once('line', (line) => {
      clearTimeout(t);
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (m) res(m[1]);
      else rej(new StepFailure(`unexpected first line from the server: ${JSON.stringify(line)}`));
    });
  });
  base = addr;
  const h = await fetch(`${base}/healthz`);
  expect(h.status === 200, `GET /healthz: ${h.status}`);
});

await step('post the world to POST /v1/events in JSON Lines batches', async () => {
  const lines = readFileSync(join(world, 'events.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  let accepted = 0;
  const batch = 5000;
  for (let i = 0; i < lines.length; i += batch) {
    const body = lines.slice(i, i + batch).join('\n') + '\n';
    const r = await apiOk('POST', '/v1/events', keys.admin, { body, contentType: 'application/x-ndjson' });
    expect(r.rejected.length === 0, `batch at line ${i + 1}: rejected ${JSON.stringify(r.rejected.slice(0, 3))}`);
    accepted += r.accepted;
  }
  expect(accepted === lines.length, `accepted ${accepted} of ${lines.length} events`);
});

let cases;
await step('the API lists cases', async () => {
  cases = (await apiOk('GET', '/v1/cases', keys.inv)).cases;
  expect(cases.length > 0, 'GET /v1/cases lists no case after posting a world with gangs in it');
});
const top = cases[0];

// ------------------------------------------------------------------ the browser

await step('launch chromium', async () => {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  page = await context.newPage();
  page.setDefaultTimeout(15000);
});

await step('an unknown key is refused at login', async () => {
  await page.goto(`${base}/console/`);
  expect(new URL(page.url()).pathname === '/console/login', `/console/ without a session went to ${page.url()}, not the login page`);
  await page.fill('input[name="key"]', 'not-a-key');
  await page.click('button[type="submit"]');
  const err = await page.locator('.err').textContent().catch(() => null);
  expect(err && /not known/i.test(err), `logging in with a bad key showed ${JSON.stringify(err)}`);
});

await step('log in with the investigator key', async () => {
  await page.fill('input[name="key"]', keys.inv);
  await Promise.all([page.waitForURL(`${base}/console/`), page.click('button[type="submit"]')]);
  await page.locator('table#queue').waitFor({ state: 'visible' });
  const who = await page.locator('header').textContent();
  expect(who.includes('alice') && who.includes('investigator'), `the header shows ${JSON.stringify(who)}, not alice (investigator)`);
});

await step('the queue is the API order, money at risk first', async () => {
  const rows = page.locator('table#queue tbody tr');
  const n = await rows.count();
  expect(n === cases.length, `the queue shows ${n} rows, the API lists ${cases.length} cases`);
  const first = (await rows.nth(0).locator('td').nth(0).textContent()).trim();
  expect(first === top.case_id, `the queue's first row is ${first}, the API's first case is ${top.case_id}`);
  await page.screenshot({ path: join(shots, 'console-queue.png'), fullPage: true });
});

await step('open the top case with the keyboard (j, Enter)', async () => {
  await page.locator('body').click({ position: { x: 5, y: 600 } });
  await page.keyboard.press('j');
  const selected = await page.locator('table#queue tr.sel').count();
  expect(selected === 1, `after j, ${selected} rows are selected (expected 1)`);
  await Promise.all([page.waitForURL(`**/console/cases/${encodeURIComponent(top.case_id)}`), page.keyboard.press('Enter')]);
  const h1 = await page.locator('h1').textContent();
  expect(h1.includes(top.case_id), `the case page's heading is ${JSON.stringify(h1)}`);
});

await step('the entity graph is drawn, with nodes', async () => {
  const svg = page.locator('svg#graph');
  await svg.waitFor({ state: 'visible' });
  const box = await svg.boundingBox();
  expect(box && box.width > 200 && box.height > 200, `svg#graph is ${JSON.stringify(box)} on the page`);
  const nodes = await page.locator('svg#graph g.node').count();
  const circles = await page.locator('svg#graph circle').count();
  expect(nodes >= 2 && circles >= 2, `svg#graph has ${nodes} nodes and ${circles} circles (expected 2 or more)`);
  const alerts = await page.locator('table#alerts tbody tr').count();
  expect(alerts >= 1, `the case page lists ${alerts} alerts`);
});

let detail;
let target;
await step('the case has an account to act on', async () => {
  detail = await apiOk('GET', `/v1/cases/${encodeURIComponent(top.case_id)}`, keys.inv);
  for (const a of detail.alerts) {
    const e = a.entities.find((x) => x.type === 'account');
    if (e) {
      target = e.id;
      break;
    }
  }
  if (!target) target = detail.alerts[0]?.entities[0]?.id;
  expect(target, `case ${top.case_id} names no entity: ${JSON.stringify(detail).slice(0, 300)}`);
});

const justification = `e2e-${top.case_id}`;
await step('reveal PII with a justification, and find the read in the audit log', async () => {
  const form = page.locator('form#pii-form');
  expect((await form.count()) === 1, 'the case page has no justification form for an investigator');
  await form.locator('input[name="justification"]').fill(justification);
  await Promise.all([page.waitForURL(/justification=/), form.locator('button[type="submit"]').click()]);
  const shown = await page.locator('.err').first().textContent();
  expect(/PII shown/.test(shown), `after a justification the page says ${JSON.stringify(shown)}`);
  if (detail.alerts.some((a) => a.entities.some((e) => ['email', 'phone', 'address'].includes(e.type)))) {
    const audit = await apiOk('GET', '/v1/audit?limit=1000', keys.admin);
    const hit = audit.records.find((r) => r.justification === justification && r.key_name === 'alice');
    expect(hit, `no audit record by alice with justification ${justification} in ${JSON.stringify(audit.records).slice(0, 300)}`);
  }
});

/** Submits one of the case's forms (its action path ends with `suffix`), filling `fields`. */
async function submitCaseForm(suffix, fields) {
  const form = page.locator(`form[action$="/${suffix}"]`);
  expect((await form.count()) === 1, `the case page has no ${suffix} form (is the key an investigator's?)`);
  for (const [name, value] of Object.entries(fields)) {
    const el = form.locator(`[name="${name}"]`);
    expect((await el.count()) === 1, `the ${suffix} form has no field ${name}`);
    const tag = await el.evaluate((e) => e.tagName);
    if (tag === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
  // A form that asks for a justification (where an action needs one) gets the case's.
  const j = form.locator('[name="justification"]');
  if ((await j.count()) === 1 && !(await j.inputValue())) await j.fill(justification);
  await Promise.all([
    page.waitForURL(`**/console/cases/${encodeURIComponent(top.case_id)}`),
    form.locator('button[type="submit"]').click(),
  ]);
  const err = await page.locator('h1').textContent();
  expect(!/^Error/.test(err), `posting the ${suffix} form led to ${JSON.stringify(err)}: ${await page.locator('main').textContent()}`);
}

/** The status control shows the case's current status, selected, and would not post it. */
async function expectStatusControl(status) {
  const sel = page.locator('form#status-form select[name="status"]');
  expect((await sel.count()) === 1, 'the case page has no status select');
  const shown = (await sel.locator('option:checked').textContent()).trim();
  expect(shown.startsWith(status), `the status select shows ${JSON.stringify(shown)} on a case that is ${status}`);
  const value = await sel.inputValue();
  expect(value === '', `the preselected option would move the case to ${JSON.stringify(value)}`);
}

await step('the status control preselects the current status (open)', () => expectStatusControl('open'));

await step('move the case to investigating', async () => {
  await submitCaseForm('status', { status: 'investigating' });
  const p = await page.locator('main p').first().textContent();
  expect(/status\s+investigating/.test(p), `the case page says ${JSON.stringify(p)}`);
  await expectStatusControl('investigating');
});

const note = 'e2e: holding refunds while the ring is reviewed';
await step('record a hold_refunds action with a note', async () => {
  await submitCaseForm('actions', { action: 'hold_refunds', target, note });
  const log = await page.locator('#worklog').textContent();
  expect(log.includes(`action hold_refunds on ${target}`), `the work log does not show the action: ${JSON.stringify(log)}`);
});

await step('move the case to actioned', async () => {
  await submitCaseForm('status', { status: 'actioned' });
  const p = await page.locator('main p').first().textContent();
  expect(/status\s+actioned/.test(p), `the case page says ${JSON.stringify(p)}`);
  await expectStatusControl('actioned');
});

await step('GET /v1/cases/{id} shows the action and the status', async () => {
  const d = await apiOk('GET', `/v1/cases/${encodeURIComponent(top.case_id)}`, keys.inv);
  const act = d.actions.find((a) => a.action === 'hold_refunds');
  expect(act, `no hold_refunds action in ${JSON.stringify(d.actions)}`);
  expect(act.target === target && act.who === 'alice' && act.note === note, `the action is ${JSON.stringify(act)}`);
  expect(d.case.status === 'actioned', `the case's status is ${d.case.status}, not actioned`);
  const outbound = readFileSync(join(data, 'outbound.jsonl'), 'utf8');
  expect(outbound.includes('hold_refunds') && outbound.includes(target), 'the action is not in outbound.jsonl');
});

await step('screenshot the case page', async () => {
  // The masked view: the committed picture shows no PII of even simulated customers.
  await page.goto(`${base}/console/cases/${encodeURIComponent(top.case_id)}`);
  await page.locator('svg#graph').waitFor({ state: 'visible' });
  await page.screenshot({ path: join(shots, 'console-case.png'), fullPage: true });
});

await cleanup(false);
if (args.screenshots || args.keep) console.log(`screenshots: ${join(shots, 'console-queue.png')} ${join(shots, 'console-case.png')}`);
console.log(`e2e: ${passed} passed, 0 failed`);

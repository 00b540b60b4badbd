// Customer Search benchmark (not a test). Seeds the local D1 database with customers built by
// the domain core (examples/seed_customers.rs, laid out exactly as the Worker stores them),
// starts the Worker under `wrangler dev`, switches Customer Search on and times the index
// build (customers per second, through the SearchIndexer's alarms), then prints p50/p95 over
// HTTP of the searches next to the closest lookups done with `where`.
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/search-latency.mjs [size]
//
// Size defaults to 100000; SEARCH_INDEX_BATCH sets the builder's step size. The figures are
// local workerd/D1 on this machine.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const size = Number(process.argv[2] ?? 100000);
const SAMPLES = 200;
const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
const state = mkdtempSync(join(tmpdir(), 'edge-customer-api-search-bench-'));
let server = null;

process.on('exit', () => {
  if (server) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {}
  }
  rmSync(state, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function startServer() {
  const batch = process.env.SEARCH_INDEX_BATCH ? ['--var', `SEARCH_INDEX_BATCH:${process.env.SEARCH_INDEX_BATCH}`] : [];
  server = spawn('node', [wrangler, 'dev', '--ip', '127.0.0.1', '--port', '0', '--persist-to', state, '--show-interactive-dev-session=false', ...batch], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 600_000);
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.stderr.on('data', (chunk) => (output += chunk));
  });
}

function seed(from, to) {
  const sql = execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'seed_customers', '--', String(from), String(to)], {
    cwd: root,
    maxBuffer: 1 << 30,
  });
  const file = join(state, 'seed.sql');
  writeFileSync(file, sql);
  execFileSync('node', [wrangler, 'd1', 'execute', 'DB', '--local', '--persist-to', state, '--file', file], { cwd: root, env, stdio: 'ignore' });
  rmSync(file);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

execFileSync('node', [wrangler, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state], { cwd: root, env, stdio: 'ignore' });
let started = Date.now();
seed(0, size);
console.error(`seeded ${size} customers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
const base = await startServer();
const basic = Buffer.from('demo-admin:demo-admin-secret').toString('base64');
const tokenReply = await fetch(`${base}/oauth/token`, {
  method: 'POST',
  headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});
const auth = { Authorization: `Bearer ${(await tokenReply.json()).access_token}` };
const json = { ...auth, 'Content-Type': 'application/json' };

// Activation: time from the update to Ready.
const project = await (await fetch(`${base}/demo`, { headers: auth })).json();
started = Date.now();
const activated = await fetch(`${base}/demo`, {
  method: 'POST',
  headers: json,
  body: JSON.stringify({ version: project.version, actions: [{ action: 'changeCustomerSearchStatus', status: 'Activated' }] }),
});
if (activated.status !== 200) throw new Error(`activation: ${activated.status} ${await activated.text()}`);
// Under wrangler dev a request can stay unanswered while the builder's alarm runs, until
// another request arrives: each poll gives up after a second and the next one is sent.
let status = {};
let last = '';
do {
  await new Promise((r) => setTimeout(r, 250));
  try {
    const reply = await fetch(`${base}/demo/customers/search/indexing-status`, { headers: auth, signal: AbortSignal.timeout(1000) });
    status = await reply.json();
  } catch {
    continue;
  }
  const seen = `${status.status} ${status.states?.indexed ?? ''}`;
  if (seen !== last) console.error(`${((Date.now() - started) / 1000).toFixed(1)} s: ${seen}`);
  last = seen;
} while (status.status !== 'Ready');
// The build's own clock: from the activation (startedAt) to Ready (lastModifiedAt).
const buildSeconds = (Date.parse(status.lastModifiedAt) - Date.parse(status.startedAt)) / 1000;
console.error(`index built in ${buildSeconds.toFixed(1)} s (seen Ready after ${((Date.now() - started) / 1000).toFixed(1)} s)`);

const rows = [];
async function measure(label, request) {
  const times = [];
  let hits = 0;
  for (let i = -10; i < SAMPLES; i++) {
    const { path, body } = request(Math.abs(i));
    const began = performance.now();
    const reply = await fetch(`${base}${path}`, body ? { method: 'POST', headers: json, body: JSON.stringify(body) } : { headers: auth });
    const answer = await reply.json();
    if (reply.status !== 200) throw new Error(`${label}: ${reply.status} ${JSON.stringify(answer)}`);
    if (i >= 0) {
      times.push(performance.now() - began); // the first ten warm up
      hits += answer.results.length;
    }
  }
  times.sort((a, b) => a - b);
  rows.push({ label, p50: percentile(times, 50), p95: percentile(times, 95), hits: hits / SAMPLES });
}
const pick = (i) => (i * 7919) % size;
const search = (query) => ({ path: '/demo/customers/search', body: { query, limit: 20 } });
const where = (predicate) => ({ path: `/demo/customers?limit=20&where=${encodeURIComponent(predicate)}` });
const typo = (word) => word.slice(0, 1) + word.slice(2, 3) + word.slice(1, 2) + word.slice(3); // swap letters 2 and 3
await measure('search fullText all "First…" (≈ "john")', (i) => search({ fullText: { field: 'all', value: `First${pick(i) % 1000}` } }));
await measure('where firstName = "First…"', (i) => where(`firstName = "First${pick(i) % 1000}"`));
await measure('search fullTextPrefix lastName "Last…" (4 digits cut to 2–3)', (i) => search({ fullTextPrefix: { field: 'lastName', value: `Last${String(pick(i) % 5000).slice(0, 2)}` } }));
await measure('where lastName = "Last…" (no prefix in where)', (i) => where(`lastName = "Last${pick(i) % 5000}"`));
await measure('search exact email', (i) => search({ exact: { field: 'email', value: `bench-${pick(i)}@example.com` } }));
await measure('where email = …', (i) => where(`email = "bench-${pick(i)}@example.com"`));
await measure('search fuzzy level 2 lastName (a transposition)', (i) => search({ fuzzy: { field: 'lastName', value: typo(`Last${pick(i) % 5000}`), level: 2 } }));
await measure('where lastName = … (exact: where has no fuzziness)', (i) => where(`lastName = "Last${pick(i) % 5000}"`));
const combined = (i) =>
  search({ and: [{ fullText: { field: 'firstName', value: `First${pick(i) % 1000}` } }, { filter: [{ exact: { field: 'custom.segment', value: `s${pick(i) % 100}` } }] }] });
await measure('search and(fullText firstName, filter exact custom.segment)', combined);
await measure('where firstName = … and custom(fields(segment = …))', (i) => where(`firstName = "First${pick(i) % 1000}" and custom(fields(segment = "s${pick(i) % 100}"))`));

console.log(`\n${size} customers; index build ${buildSeconds.toFixed(1)} s = ${Math.round(size / buildSeconds)} customers/s\n`);
console.log('| query | p50 (ms) | p95 (ms) | results per page |');
console.log('|---|---:|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} | ${row.hits.toFixed(1)} |`);
}
process.exit(0);

// Query latency benchmark (not a test). For each size it seeds the local D1 database with
// customers built by the domain core (examples/seed_customers.rs, laid out exactly as the
// Worker stores them; the local Worker creates only about a hundred customers a second through
// the API), each with the messages of its creation and two updates, starts the Worker under
// `wrangler dev`, and prints p50/p95 latency over HTTP of typical customer and message queries
// (the customer lookups are the reference the message figures compare with).
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/query-latency.mjs [sizes…]
//
// Sizes default to 10000 100000. The figures are local workerd/D1 on this machine: they show
// how latency grows with the table, not production latency.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['10000', '100000']).map(Number);
const SAMPLES = 200;
// Each customer is created and then updated twice (one message each): three messages.
const UPDATES_PER_CUSTOMER = 2;
const env = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
const state = mkdtempSync(join(tmpdir(), 'edge-customer-api-bench-'));
let server = null;

function stopServer() {
  if (!server) return Promise.resolve();
  const exited = new Promise((resolve) => server.once('exit', resolve));
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {}
  server = null;
  return exited;
}
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
  server = spawn('node', [wrangler, 'dev', '--ip', '127.0.0.1', '--port', '0', '--persist-to', state, '--show-interactive-dev-session=false'], {
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
  const sql = execFileSync('cargo', ['run', '--quiet', '--release', '--example', 'seed_customers', '--', String(from), String(to), String(UPDATES_PER_CUSTOMER)], {
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
const rows = [];
let seeded = 0;
for (const size of sizes) {
  await stopServer();
  const started = Date.now();
  seed(seeded, size);
  console.error(`seeded ${size} customers (+${size - seeded} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  seeded = size;
  const base = await startServer();
  const basic = Buffer.from('demo-admin:demo-admin-secret').toString('base64');
  const tokenReply = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const auth = { Authorization: `Bearer ${(await tokenReply.json()).access_token}` };

  async function measure(label, path) {
    const times = [];
    for (let i = -10; i < SAMPLES; i++) {
      const started = performance.now();
      const reply = await fetch(`${base}${path(Math.abs(i))}`, { headers: auth });
      const body = await reply.json();
      if (reply.status !== 200) throw new Error(`${label}: ${reply.status} ${JSON.stringify(body)}`);
      if (i >= 0) times.push(performance.now() - started); // the first ten warm up
    }
    times.sort((a, b) => a - b);
    rows.push({ customers: size, label, p50: percentile(times, 50), p95: percentile(times, 95) });
  }
  const q = (where, extra = '') => `/demo/customers?where=${encodeURIComponent(where)}${extra}`;
  const pick = (i) => (i * 7919) % size;
  await measure('where email = …', (i) => q(`email = "bench-${pick(i)}@example.com"`));
  await measure('where key = …', (i) => q(`key = "bench-${pick(i)}"`));
  await measure('GET /customers/key=…', (i) => `/demo/customers/key=bench-${pick(i)}`);
  await measure('where middleName = … (JSON only), limit 20', (i) => q(`middleName = "Middle${pick(i) % 2000}"`, '&limit=20'));
  await measure('where custom(fields(segment = …)) (JSON only), limit 20', (i) => q(`custom(fields(segment = "s${pick(i) % 100}"))`, '&limit=20'));
  await measure('sort=lastModifiedAt desc&limit=20', () => '/demo/customers?sort=lastModifiedAt%20desc&limit=20');
  const inGroup = (i) => q(`customerGroup(id = "bench-group-${pick(i) % 100}")`, '&limit=20&withTotal=false');
  await measure('where customerGroup(id = …), limit 20', inGroup);
  await measure('the same with expand=customerGroup', (i) => `${inGroup(i)}&expand=customerGroup`);
  // Messages: one customer's history by resource(id = …), a type in creation order, the latest.
  const ids = [];
  for (let i = 0; i <= SAMPLES; i++) {
    const reply = await fetch(`${base}/demo/customers/key=bench-${pick(i)}`, { headers: auth });
    ids.push((await reply.json()).id);
  }
  const m = (where, extra = '') => `/demo/messages?where=${encodeURIComponent(where)}${extra}`;
  await measure('messages where resource(id = …), sort sequenceNumber', (i) => m(`resource(id = "${ids[i]}")`, '&sort=sequenceNumber%20asc'));
  await measure('messages where type = …, limit 20 (creation order)', () => m('type = "CustomerFirstNameSet"', '&limit=20&withTotal=false'));
  await measure('messages sort=createdAt desc&limit=20', () => '/demo/messages?sort=createdAt%20desc&limit=20');
}
await stopServer();

console.log(`\n(${UPDATES_PER_CUSTOMER + 1} messages per customer)`);
console.log('\n| customers | query | p50 (ms) | p95 (ms) |');
console.log('|---:|---|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.customers} | ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
}
process.exit(0);

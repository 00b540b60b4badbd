// Scale benchmark (not a test): customers spread over 4 local D1 databases
// (wrangler.sharded.toml, docs/scale.md). For each size it seeds customers built by the domain
// core (examples/seed_customers.rs with SEED_SHARDS: each customer's row and creation message in
// its shard, its stub row and email claim in the catalog), written straight into the local D1
// SQLite files (through wrangler the seeding of a million customers would take hours), starts
// `wrangler dev -c wrangler.sharded.toml`, and prints p50/p95 over HTTP of: get by id, get by
// key, query by email, a sorted page, a page at offset 10 000, withTotal on a selective
// predicate, an update and a create.
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/scale.mjs [--sizes 100000,1000000] [--samples 100]
//
// Local workerd/D1 on this machine: the figures show how lookups and cross-database queries
// grow with the data, not production latency.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { env, percentile, root, startWorker, stateDir, stopWorkers, token } from './harness.mjs';

const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const sizes = flag('sizes', '100000,1000000').split(',').map(Number);
const SAMPLES = Number(flag('samples', '100'));
const CONFIG = 'wrangler.sharded.toml';
const DATABASES = ['DB', 'CUSTOMERS_1', 'CUSTOMERS_2', 'CUSTOMERS_3', 'CUSTOMERS_4'];
const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js');

execFileSync('bash', ['scripts/sharded-config.sh'], { cwd: root, env, stdio: 'inherit' });
const state = stateDir();
const d1Dir = join(state, 'v3', 'd1', 'miniflare-D1DatabaseObject');
const files = {};
for (const database of DATABASES) {
  const before = new Set(safeList(d1Dir));
  execFileSync('node', [wrangler, 'd1', 'migrations', 'apply', database, '--local', '-c', CONFIG, '--persist-to', state], { cwd: root, env, stdio: 'ignore' });
  const added = safeList(d1Dir).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite' && !before.has(f));
  if (added.length !== 1) throw new Error(`cannot tell the SQLite file of ${database}: ${added}`);
  files[database] = join(d1Dir, added[0]);
}

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// Reads `binding<TAB>statement` lines and runs each in that database's SQLite file.
const LOADER = `
import sqlite3, sys, json
files = json.loads(sys.argv[1])
dbs = {k: sqlite3.connect(v) for k, v in files.items()}
for db in dbs.values():
    db.execute("PRAGMA synchronous = OFF")
for line in sys.stdin:
    database, sql = line.rstrip("\\n").split("\\t", 1)
    dbs[database].execute(sql)
for db in dbs.values():
    db.commit()
    db.close()
`;

function seed(from, to) {
  execFileSync('cargo', ['build', '--quiet', '--release', '--example', 'seed_customers'], { cwd: root, stdio: 'inherit' });
  const seeder = join(root, 'target', 'release', 'examples', 'seed_customers');
  return new Promise((resolve, reject) => {
    const producer = spawn(seeder, [String(from), String(to), '0'], {
      cwd: root,
      env: { ...env, SEED_SHARDS: DATABASES.slice(1).join(' ') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const loader = spawn('python3', ['-c', LOADER, JSON.stringify(files)], { stdio: ['pipe', 'inherit', 'inherit'] });
    producer.stdout.pipe(loader.stdin);
    loader.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loader exited ${code}`))));
  });
}

const rows = [];
let seeded = 0;
for (const size of sizes) {
  await stopWorkers();
  const started = Date.now();
  await seed(seeded, size);
  console.error(`seeded ${size} customers over 4 databases (+${size - seeded} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  seeded = size;
  const base = await startWorker(state, ['-c', CONFIG]);
  const auth = { Authorization: `Bearer ${await token(base)}`, 'Content-Type': 'application/json' };
  const pick = (i) => (i * 7919 + size) % size;

  async function time(label, request) {
    const times = [];
    for (let i = -5; i < SAMPLES; i++) {
      const started = performance.now();
      const [status, body] = await request(Math.abs(i) + (i < 0 ? SAMPLES : 0));
      if (status >= 300) throw new Error(`${label}: ${status} ${JSON.stringify(body)}`);
      if (i >= 0) times.push(performance.now() - started); // the first five warm up
    }
    times.sort((a, b) => a - b);
    rows.push({ customers: size, label, p50: percentile(times, 50), p95: percentile(times, 95) });
  }
  const call = async (path, init = {}) => {
    const reply = await fetch(`${base}${path}`, { headers: auth, ...init });
    return [reply.status, await reply.json()];
  };
  const get = (path) => call(path);
  const q = (where, extra = '') => `/demo/customers?where=${encodeURIComponent(where)}${extra}`;

  const customers = [];
  for (let i = 0; i < 2 * SAMPLES + 10; i++) {
    const [, body] = await get(`/demo/customers/key=bench-${pick(i)}`);
    customers.push({ id: body.id, version: body.version });
  }
  await time('GET /customers/{id}', (i) => get(`/demo/customers/${customers[i].id}`));
  await time('GET /customers/key=…', (i) => get(`/demo/customers/key=bench-${pick(i)}`));
  await time('query where email = …', (i) => get(q(`email = "bench-${pick(i)}@example.com"`)));
  await time('sort=lastModifiedAt desc&limit=20', () => get('/demo/customers?sort=lastModifiedAt%20desc&limit=20'));
  await time('limit=20&offset=10000 (withTotal=false)', () => get('/demo/customers?limit=20&offset=10000&withTotal=false'));
  await time('where lastName = … (selective), withTotal', (i) => get(q(`lastName = "Last${pick(i) % 5000}"`, '&limit=20&withTotal=true')));
  await time('update (setFirstName)', (i) => {
    const c = customers[SAMPLES + 5 + (i % (SAMPLES + 5))];
    const body = JSON.stringify({ version: c.version, actions: [{ action: 'setFirstName', firstName: `N${c.version}` }] });
    return call(`/demo/customers/${c.id}`, { method: 'POST', body }).then(([status, answer]) => {
      c.version = answer.version ?? c.version;
      return [status, answer];
    });
  });
  let created = 0;
  await time('create (ExternalAuth: no password hashing)', () => {
    const body = JSON.stringify({ email: `scale-${size}-${created++}@example.com`, authenticationMode: 'ExternalAuth' });
    return call('/demo/customers', { method: 'POST', body });
  });
  for (const row of rows.filter((r) => r.customers === size)) {
    console.error(`${size}\t${row.label}\t${row.p50.toFixed(1)}\t${row.p95.toFixed(1)}`);
  }
}
await stopWorkers();

console.log(`\n4 customer databases + the catalog; ${SAMPLES} requests per row, one at a time`);
console.log('\n| customers | request | p50 (ms) | p95 (ms) |');
console.log('|---:|---|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.customers} | ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} |`);
}
process.exit(0);

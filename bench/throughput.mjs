// Throughput benchmark (not a test). In one run it starts a trivial Worker (bench/trivial/:
// the platform's ceiling) and this Worker, each under `wrangler dev` with the same settings,
// seeds N customers straight into the local D1, and drives every operation with the same
// closed-loop load (C connections, D seconds per phase, after a one-second warm-up). Each phase
// runs in half-second slices, each followed by a slice of the trivial Worker's 404, so an
// operation and its ceiling are measured on the same (shared, drifting) machine. It prints
// requests/s, p50, p99, errors and the ratio to that interleaved ceiling, and for create and
// sign-in their latency next to one native PBKDF2 derivation plus a get by id. The trivial
// Worker also gives the platform's own costs: one D1 round trip, one Durable Object hop with
// one D1 round trip, and one hop whose object writes one D1 batch (the update path's floor).
//
//   bash scripts/setup.sh && bash scripts/build.sh && node bench/throughput.mjs [N] [C] [D]
//
// Defaults: N = 10000 customers, C = 8 connections, D = 5 seconds. `ONLY=<regex>` measures only
// the operations whose label matches (the ceiling is always measured), for quick comparisons.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { migrate, percentile, root, seed, startWorker, stateDir, token } from './harness.mjs';

const [customers, connections, seconds] = [10000, 8, 5].map((fallback, i) => Number(process.argv[2 + i] ?? fallback));

const state = stateDir();
migrate(state);
seed(state, 0, customers);
const ceiling = await startWorker(stateDir(), ['--config', join(root, 'bench', 'trivial', 'wrangler.toml')]);
const base = await startWorker(state);
const admin = { Authorization: `Bearer ${await token(base)}`, 'Content-Type': 'application/json' };

async function call(method, path, headers = {}, body) {
  const reply = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: reply.status, json: await reply.json().catch(() => null) };
}

// Customers to read (ids from a page of the seeded ones) and to write (one per connection).
const page = await call('GET', '/demo/customers?limit=500&withTotal=false', admin);
const seeded = page.json.results.map((c) => ({ id: c.id, key: c.key, email: c.email }));
const suffix = `${Date.now()}`;
const own = [];
for (let c = 0; c < connections; c++) {
  const email = `throughput-${suffix}-${c}@example.com`;
  const created = await call('POST', '/demo/customers', admin, { email, password: 'secret123' });
  own.push({ id: created.json.customer.id, version: 1, email });
}

/** One closed loop per connection, each running `request(connection, n)` until `ms` have passed. */
async function run(target, expected, request, width, ms, record) {
  const until = Date.now() + ms;
  async function loop(connection) {
    for (let n = 0; Date.now() < until; n++) {
      const { method = 'GET', path, headers = {}, body, after } = request(connection, n);
      const started = performance.now();
      const reply = await fetch(`${target}${path}`, { method, headers, body: body && JSON.stringify(body) });
      const text = await reply.text();
      const elapsed = performance.now() - started;
      if (reply.status !== expected) record.errors += 1;
      else if (after) after(JSON.parse(text));
      record.times.push(elapsed);
    }
  }
  const started = performance.now();
  await Promise.all(Array.from({ length: width }, (_, c) => loop(c)));
  record.seconds += (performance.now() - started) / 1000;
}

const SLICE_MS = 500;
const ceilingRequest = () => ({ path: '/' });

/**
 * Measures `request` on `width` connections for D seconds in slices of half a second, each
 * followed by a slice of the ceiling (the trivial Worker's 404) on as many connections: the
 * load of a shared machine drifts, and so both see the same machine. Returns the figures and
 * the ratio of the two rates.
 */
async function phase(target, expected, request, width = connections) {
  await run(target, expected, request, width, 1000, { times: [], errors: 0, seconds: 0 });
  const own = { times: [], errors: 0, seconds: 0 };
  const top = { times: [], errors: 0, seconds: 0 };
  for (let slice = 0; slice < (seconds * 1000) / SLICE_MS; slice++) {
    await run(target, expected, request, width, SLICE_MS, own);
    await run(ceiling, 404, ceilingRequest, width, SLICE_MS, top);
  }
  own.times.sort((a, b) => a - b);
  const rps = own.times.length / own.seconds;
  const ceilingRps = top.times.length / top.seconds;
  return { rps, p50: percentile(own.times, 50), p99: percentile(own.times, 99), errors: own.errors, ceilingRps, ratio: rps / ceilingRps };
}

const pick = (c, n) => seeded[(c * 61 + n * 7) % seeded.length];
const q = (where, extra = '') => `/demo/customers?where=${encodeURIComponent(where)}${extra}`;
const rows = [];
const only = process.env.ONLY ? new RegExp(process.env.ONLY, 'i') : null;
async function measure(label, target, expected, request, width = connections) {
  if (only && rows.length > 0 && !only.test(label)) return null;
  const figures = await phase(target, expected, request, width);
  rows.push({ label, ...figures });
  console.error(`${label}: ${figures.rps.toFixed(0)} req/s, ${figures.ratio.toFixed(2)} of the ceiling`);
  return figures;
}

// Warm this Worker up (its WebAssembly is compiled in tiers) before any phase is measured, so
// the first measured phase does not pay for it, whichever it is.
await run(base, 200, (c, n) => ({ path: `/demo/customers/${pick(c, n).id}`, headers: admin }), connections, 3000, { times: [], errors: 0, seconds: 0 });
await measure('trivial Worker, 404 (the ceiling, against itself)', ceiling, 404, () => ({ path: '/' }));
await measure('platform: trivial Worker, one D1 round trip', ceiling, 200, () => ({ path: '/d1' }));
await measure('platform: trivial Worker, one Durable Object hop + one D1 round trip', ceiling, 200, () => ({ path: '/do-d1' }));
await measure('platform: trivial Worker, one Durable Object hop + one writing D1 batch', ceiling, 200, (c) => ({ path: `/do-d1-write?c=${c}` }));
await measure('this Worker, unknown path 404 (no token)', base, 404, () => ({ path: '/nothing/here/at/all' }));
await measure('this Worker, unknown path 404 (token checked, no D1)', base, 404, () => ({ path: '/nothing/here/at/all', headers: admin }));
await measure('GET /customers/{id}', base, 200, (c, n) => ({ path: `/demo/customers/${pick(c, n).id}`, headers: admin }));
await measure('GET /customers/key={key}', base, 200, (c, n) => ({ path: `/demo/customers/key=${pick(c, n).key}`, headers: admin }));
await measure('query: where email = …', base, 200, (c, n) => ({ path: q(`email = "${pick(c, n).email}"`), headers: admin }));
await measure('query: where middleName = … (indexed since 0017), limit 20', base, 200, (c, n) => ({
  path: q(`middleName = "Middle${(c * 13 + n) % 2000}"`, '&limit=20&withTotal=false'),
  headers: admin,
}));
// Predicates that still read the JSON document (no column): a common value (many customers
// hold it, so the scan in id order stops at the 20th) and a rare one (few or none, so every
// customer of the project is read).
const jsonOnly = [
  ['custom(fields(segment = …)), common (100 customers each)', (c, n) => `custom(fields(segment = "s${(c * 13 + n) % 100}"))`],
  ['custom(fields(segment = …)), rare (none)', (c, n) => `custom(fields(segment = "none-${c}-${n}"))`],
  ['addresses(city = …), common (33 customers each)', (c, n) => `addresses(city = "City${(c * 13 + n) % 300}")`],
  ['addresses(city = …), rare (none)', (c, n) => `addresses(city = "Nowhere-${c}-${n}")`],
  ['authenticationMode = "ExternalAuth", common (every seeded customer)', () => 'authenticationMode = "ExternalAuth"'],
  ['authenticationMode = "Password", rare (the 8 created ones)', () => 'authenticationMode = "Password"'],
];
for (const [label, where] of jsonOnly) {
  await measure(`query (JSON only): ${label}, limit 20`, base, 200, (c, n) => ({
    path: q(where(c, n), '&limit=20&withTotal=false'),
    headers: admin,
  }));
}
const shopper = await shopperToken(own[0].email);
if (shopper && (!only || only.test('GET /me')) && (await call('GET', '/demo/me', { Authorization: `Bearer ${shopper}` })).status === 200) {
  await measure('GET /me (customer token)', base, 200, () => ({ path: '/demo/me', headers: { Authorization: `Bearer ${shopper}` } }));
}
await measure('update (own customer, one action)', base, 200, (c, n) => ({
  method: 'POST',
  path: `/demo/customers/${own[c].id}`,
  headers: admin,
  body: { version: own[c].version, actions: [{ action: 'setFirstName', firstName: `F${n}` }] },
  after: (customer) => (own[c].version = customer.version),
}));
const creating = (c, n) => ({
  method: 'POST',
  path: '/demo/customers',
  headers: admin,
  body: { email: `created-${suffix}-${c}-${n}-${Math.random()}@example.com`, password: 'secret123' },
});
const signingIn = (c) => ({ method: 'POST', path: '/demo/login', headers: admin, body: { email: own[c].email, password: 'secret123' } });
await measure('create (one PBKDF2 derivation)', base, 201, creating);
await measure('sign-in (one PBKDF2 derivation)', base, 200, signingIn);
// Their latency bound is measured on one connection: with more, derivations queue for the CPU.
const create = await measure('create, one connection', base, 201, creating, 1);
const signIn = await measure('sign-in, one connection', base, 200, signingIn, 1);
const byIdAlone = await measure('GET /customers/{id}, one connection', base, 200, (c, n) => ({
  path: `/demo/customers/${pick(c, n).id}`,
  headers: admin,
}), 1);

const derivation = nativeDerivationMs();
console.log(`\n${customers} customers, ${connections} connections, ${seconds} s per phase, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| operation | requests/s | p50 (ms) | p99 (ms) | errors | ceiling requests/s (interleaved) | ratio to ceiling |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  const cells = [row.rps.toFixed(0), row.p50.toFixed(1), row.p99.toFixed(1), row.errors, row.ceilingRps.toFixed(0), row.ratio.toFixed(2)];
  console.log(`| ${row.label} | ${cells.join(' | ')} |`);
}
if (!create || !signIn || !byIdAlone) process.exit(0);
const bound = derivation + byIdAlone.p50;
console.log(`\none PBKDF2-HMAC-SHA256 derivation (100 000 iterations, native, median of 10): ${derivation.toFixed(1)} ms`);
for (const [label, figures] of [['create', create], ['sign-in', signIn]]) {
  console.log(`${label}: p50 ${figures.p50.toFixed(1)} ms = ${(figures.p50 / bound).toFixed(2)} × (one derivation + get by id p50, one connection = ${bound.toFixed(1)} ms)`);
}
process.exit(0);

/** A password-flow token of the storefront client for `email` (password `secret123`). */
async function shopperToken(email) {
  const basic = Buffer.from('demo-storefront:demo-storefront-secret').toString('base64');
  const reply = await fetch(`${base}/oauth/demo/customers/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `grant_type=password&username=${encodeURIComponent(email)}&password=secret123`,
  });
  return (await reply.json()).access_token;
}

function nativeDerivationMs() {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    pbkdf2Sync('secret123', randomBytes(16), 100000, 32, 'sha256');
    times.push(performance.now() - started);
  }
  return percentile(times.sort((a, b) => a - b), 50);
}

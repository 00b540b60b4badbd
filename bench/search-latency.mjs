// Customer Search and Business Unit Search benchmark (not a test). Seeds the local D1 database
// with customers built by the domain core (examples/seed_customers.rs, laid out exactly as the
// Worker stores them) and business units (one through the API, copied in SQL), starts the Worker under
// `wrangler dev` (bench/harness.mjs), switches both searches on and times the index builds
// (resources per second, through the SearchIndexer's alarms), then prints p50/p95 over HTTP of
// the searches next to the closest lookups done with `where`.
//
//   bash scripts/setup.sh && bash scripts/build.sh
//   node bench/search-latency.mjs [customers] [--units N] [--state DIR] [--prepare] [--rebuild]
//
// customers defaults to 100000, --units to 10000 (0: no unit search). --state DIR keeps the
// seeded and indexed database in DIR: a later run with the same DIR (and sizes) skips seeding
// and index building and only times the searches (--rebuild: builds the indexes again and
// times that too); --prepare stops after preparing. Without --state a fresh directory is used
// and removed. SEARCH_INDEX_BATCH sets the builder's step size. The figures are local
// workerd/D1 on this machine.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execute, migrate, percentile, seed, startWorker, stateDir, stopWorkers, token } from './harness.mjs';

const SAMPLES = 200;

function options(argv) {
  const o = { customers: 100000, units: 10000, state: null, prepare: false, rebuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--units') o.units = Number(argv[++i]);
    else if (a === '--state') o.state = argv[++i];
    else if (a === '--prepare') o.prepare = true;
    else if (a === '--rebuild') o.rebuild = true;
    else o.customers = Number(a);
  }
  return o;
}

const opts = options(process.argv.slice(2));
const size = opts.customers;
let state;
if (opts.state) {
  mkdirSync(opts.state, { recursive: true });
  state = opts.state;
} else {
  state = stateDir();
}
const marker = join(state, 'search-bench.json');
let prepared = existsSync(marker) ? JSON.parse(readFileSync(marker, 'utf8')) : null;
if (prepared && (prepared.customers !== size || prepared.units !== opts.units)) {
  throw new Error(`${state} holds ${prepared.customers} customers and ${prepared.units} units, not ${size} and ${opts.units}`);
}

const batch = process.env.SEARCH_INDEX_BATCH ? ['--var', `SEARCH_INDEX_BATCH:${process.env.SEARCH_INDEX_BATCH}`] : [];
migrate(state); // a prepared state gets the migrations added since
if (!prepared) {
  const started = Date.now();
  seed(state, 0, size);
  console.error(`seeded ${size} customers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  prepared = { customers: size, units: opts.units };
  writeFileSync(marker, JSON.stringify(prepared));
}
let base = await startWorker(state, batch);
const auth = { Authorization: `Bearer ${await token(base)}` };
const json = { ...auth, 'Content-Type': 'application/json' };

async function call(method, path, body, expected) {
  const reply = await fetch(`${base}${path}`, { method, headers: json, body: body && JSON.stringify(body) });
  const answer = await reply.json();
  if (reply.status !== expected) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(answer)}`);
  return answer;
}

// The units: names of two words from small lists and a number ("Acme Plumbing 17"), one store
// of 50, one associate of the first 100 customers (by id).
const FIRST = ['Acme', 'Nordic', 'Alpine', 'Coastal', 'Urban', 'Prime', 'Global', 'Summit', 'Delta', 'Pioneer'];
const SECOND = ['Plumbing', 'Bakery', 'Logistics', 'Electric', 'Garden', 'Textiles', 'Motors', 'Foods', 'Pharma', 'Tools'];
const unitName = (i) => `${FIRST[i % 10]} ${SECOND[Math.floor(i / 10) % 10]} ${i}`;

/**
 * Seeds `n` units: `bu-0` through the API (the template), the others as SQL copies of its
 * row with their own id, key, name, contact email, store and associate (and their reference
 * rows); the API creates only a few units a second here. Answers the associates' ids.
 */
async function seedUnits(n) {
  const started = Date.now();
  await call('POST', '/demo/associate-roles', { key: 'bench-buyer', permissions: ['ViewMyCarts'] }, 201);
  const customers = (await call('GET', '/demo/customers?limit=100&sort=id+asc', undefined, 200)).results.map((c) => c.id);
  await call('POST', '/demo/business-units', unitDraft(0, customers), 201);
  await stopWorkers();
  const list = (values) => `'${JSON.stringify(values)}'`;
  const at = (values, i) => `json_extract(${list(values)}, '$[' || (${i}) || ']')`;
  const name = `${at(FIRST, 'i % 10')} || ' ' || ${at(SECOND, '(i / 10) % 10')} || ' ' || i`;
  const id = "printf('00000000-0000-4000-8000-%012d', i)";
  const numbers = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1})`;
  execute(
    state,
    `INSERT INTO business_units (project, id, version, key, name, parent_key, top_level_key, stores, created_at, last_modified_at, doc)
${numbers} SELECT t.project, ${id}, 1, 'bu-' || i, ${name}, NULL, 'bu-' || i, json_array('store-' || (i % 50)), t.created_at, t.last_modified_at,
  json_set(t.doc, '$.id', ${id}, '$.key', 'bu-' || i, '$.name', ${name}, '$.contactEmail', 'unit-' || i || '@example.com',
    '$.stores[0].key', 'store-' || (i % 50), '$.associates[0].customer.id', ${at(customers, 'i % 100')}, '$.topLevelUnit.key', 'bu-' || i)
FROM n, business_units t WHERE t.project = 'demo' AND t.key = 'bu-0';
INSERT INTO resource_references (project, from_type, from_id, to_type, to_id)
${numbers} SELECT r.project, r.from_type, ${id}, r.to_type, CASE r.to_type WHEN 'customer' THEN ${at(customers, 'i % 100')} ELSE r.to_id END
FROM n, resource_references r JOIN business_units t ON r.project = t.project AND r.from_type = 'business-unit' AND r.from_id = t.id
WHERE t.project = 'demo' AND t.key = 'bu-0';`,
  );
  base = await startWorker(state, batch);
  console.error(`seeded ${n} units in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return customers;
}

function unitDraft(i, customers) {
  return {
    key: `bu-${i}`,
    name: unitName(i),
    unitType: 'Company',
    contactEmail: `unit-${i}@example.com`,
    stores: [{ key: `store-${i % 50}`, typeId: 'store' }],
    associates: [{ customer: { id: customers[i % 100], typeId: 'customer' }, associateRoleAssignments: [{ associateRole: { key: 'bench-buyer', typeId: 'associate-role' } }] }],
  };
}

/** Switches the search of `resource` on and waits for Ready; the build's own seconds. */
async function activate(action, statusPath) {
  let project = await call('GET', '/demo', undefined, 200);
  if (opts.rebuild) {
    // A prepared state's index is switched off first, so that it is built again.
    project = await call('POST', '/demo', { version: project.version, actions: [{ action, status: 'Deactivated' }] }, 200);
  }
  const started = Date.now();
  await call('POST', '/demo', { version: project.version, actions: [{ action, status: 'Activated' }] }, 200);
  // Under wrangler dev a request can stay unanswered while the builder's alarm runs, until
  // another request arrives: each poll gives up after a second and the next one is sent.
  let status = {};
  let last = '';
  do {
    await new Promise((r) => setTimeout(r, 250));
    try {
      const reply = await fetch(`${base}${statusPath}`, { headers: auth, signal: AbortSignal.timeout(1000) });
      status = await reply.json();
    } catch {
      continue;
    }
    const seen = `${status.status} ${status.states?.indexed ?? ''}`;
    if (seen !== last) console.error(`${((Date.now() - started) / 1000).toFixed(1)} s: ${seen}`);
    last = seen;
  } while (status.status !== 'Ready');
  // The build's own clock: from the activation (startedAt) to Ready (lastModifiedAt).
  return (Date.parse(status.lastModifiedAt) - Date.parse(status.startedAt)) / 1000;
}

if (prepared.customerBuild === undefined || opts.rebuild) {
  const customers = prepared.associates ?? (opts.units > 0 ? await seedUnits(opts.units) : []);
  const customerBuild = await activate('changeCustomerSearchStatus', '/demo/customers/search/indexing-status');
  console.error(`customer index built in ${customerBuild.toFixed(1)} s`);
  const unitBuild = opts.units > 0 ? await activate('changeBusinessUnitSearchStatus', '/demo/business-units/search/indexing-status') : 0;
  if (opts.units > 0) console.error(`unit index built in ${unitBuild.toFixed(1)} s`);
  prepared = { ...prepared, customerBuild, unitBuild, associates: customers };
  writeFileSync(marker, JSON.stringify(prepared));
}
if (opts.prepare) process.exit(0);

async function measure(rows, label, request) {
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

function table(title, rows) {
  console.log(`\n${title}\n`);
  console.log('| query | p50 (ms) | p95 (ms) | results per page |');
  console.log('|---|---:|---:|---:|');
  for (const row of rows) console.log(`| ${row.label} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} | ${row.hits.toFixed(1)} |`);
}

const pick = (i) => (i * 7919) % size;
const search = (query) => ({ path: '/demo/customers/search', body: { query, limit: 20 } });
const where = (predicate) => ({ path: `/demo/customers?limit=20&where=${encodeURIComponent(predicate)}` });
const typo = (word) => word.slice(0, 1) + word.slice(2, 3) + word.slice(1, 2) + word.slice(3); // swap letters 2 and 3
const rows = [];
await measure(rows, 'search fullText all "First…" (≈ "john")', (i) => search({ fullText: { field: 'all', value: `First${pick(i) % 1000}` } }));
await measure(rows, 'where firstName = "First…"', (i) => where(`firstName = "First${pick(i) % 1000}"`));
await measure(rows, 'search fullTextPrefix lastName "Last…" (4 digits cut to 2–3)', (i) =>
  search({ fullTextPrefix: { field: 'lastName', value: `Last${String(pick(i) % 5000).slice(0, 2)}` } }),
);
await measure(rows, 'where lastName = "Last…" (no prefix in where)', (i) => where(`lastName = "Last${pick(i) % 5000}"`));
await measure(rows, 'search exact email', (i) => search({ exact: { field: 'email', value: `bench-${pick(i)}@example.com` } }));
await measure(rows, 'where email = …', (i) => where(`email = "bench-${pick(i)}@example.com"`));
await measure(rows, 'search fuzzy level 2 lastName (a transposition)', (i) => search({ fuzzy: { field: 'lastName', value: typo(`Last${pick(i) % 5000}`), level: 2 } }));
await measure(rows, 'where lastName = … (exact: where has no fuzziness)', (i) => where(`lastName = "Last${pick(i) % 5000}"`));
const combined = (i) =>
  search({ and: [{ fullText: { field: 'firstName', value: `First${pick(i) % 1000}` } }, { filter: [{ exact: { field: 'custom.segment', value: `s${pick(i) % 100}` } }] }] });
await measure(rows, 'search and(fullText firstName, filter exact custom.segment)', combined);
await measure(rows, 'where firstName = … and custom(fields(segment = …))', (i) => where(`firstName = "First${pick(i) % 1000}" and custom(fields(segment = "s${pick(i) % 100}"))`));
table(`${size} customers; index build ${prepared.customerBuild.toFixed(1)} s = ${Math.round(size / prepared.customerBuild)} customers/s`, rows);

if (opts.units > 0) {
  const n = opts.units;
  const unitPick = (i) => (i * 7919) % n;
  const unitSearch = (query) => ({ path: '/demo/business-units/search', body: { query, limit: 20 } });
  const unitWhere = (predicate) => ({ path: `/demo/business-units?limit=20&where=${encodeURIComponent(predicate)}` });
  const units = [];
  await measure(units, 'search fullText all "<word>" (a tenth of the units)', (i) => unitSearch({ fullText: { field: 'all', value: SECOND[i % 10] } }));
  await measure(units, 'search fullText name "<word> <word>" (a hundredth)', (i) => unitSearch({ fullText: { field: 'name', value: `${FIRST[i % 10]} ${SECOND[(i >> 1) % 10]}` } }));
  await measure(units, 'where name = "<full name>"', (i) => unitWhere(`name = "${unitName(unitPick(i))}"`));
  await measure(units, 'search exact key', (i) => unitSearch({ exact: { field: 'key', value: `bu-${unitPick(i)}` } }));
  await measure(units, 'where key = …', (i) => unitWhere(`key = "bu-${unitPick(i)}"`));
  await measure(units, 'search filter exact stores.key (a 50th)', (i) => unitSearch({ filter: [{ exact: { field: 'stores.key', value: `store-${i % 50}` } }] }));
  await measure(units, 'where stores(key = …)', (i) => unitWhere(`stores(key = "store-${i % 50}")`));
  await measure(units, 'search filter exact associates.customer.id (a 100th)', (i) =>
    unitSearch({ filter: [{ exact: { field: 'associates.customer.id', value: prepared.associates[i % 100] } }] }),
  );
  await measure(units, 'where associates(customer(id = …))', (i) => unitWhere(`associates(customer(id = "${prepared.associates[i % 100]}"))`));
  table(`${n} business units; index build ${prepared.unitBuild.toFixed(1)} s = ${Math.round(n / prepared.unitBuild)} units/s`, units);
}
process.exit(0);

// Bulk import of commercetools customers (a customer export: one Customer JSON per line) through
// the API, with a progress line, resumable after an interruption, reporting rejected records.
//
//   node scripts/import.mjs --file customers.jsonl [--api http://127.0.0.1:8787] [--project demo]
//        [--client demo-admin:demo-admin-secret] [--concurrency 4]
//
// Each line becomes a CustomerDraft POSTed to /{project}/customers (through the API, so every
// rule, claim and message applies exactly as for any create). What carries over: email, key,
// customerNumber, externalId, names, title, salutation, dateOfBirth, companyName, vatId, locale,
// isEmailVerified, authenticationMode, stores (by key), addresses (their ids are new; keys,
// default and shipping/billing roles kept), customerGroup and custom types (by key when the
// export has it, else by id: create groups and types first), custom fields. Not carried: ids,
// versions, dates, and passwords (an export holds at most a hash of another system): a customer
// in Password mode gets a random password and must reset it (password-token flow); the summary
// counts them.
//
// Progress: `<file>.checkpoint` holds the number of lines done (every line below it answered);
// a second run continues there. A line that was created but not yet checkpointed when the run
// stopped answers DuplicateField on the next run: if the customer with that email has the same
// key, customer number and external id, it counts as already imported.
// Rejected lines go to `<file>.rejected.jsonl` ({line, code, reason}); transient failures (5xx,
// 409 LockedField, network) are retried, and after 5 attempts the run stops (resume later).
import { createReadStream, existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const file = flag('file');
if (!file) {
  console.error('usage: node scripts/import.mjs --file customers.jsonl [--api URL] [--project KEY] [--client ID:SECRET] [--concurrency N]');
  process.exit(2);
}
const api = flag('api', 'http://127.0.0.1:8787');
const project = flag('project', 'demo');
const client = flag('client', 'demo-admin:demo-admin-secret');
const concurrency = Math.max(1, Number(flag('concurrency', '4')));
const checkpointFile = `${file}.checkpoint`;
const rejectedFile = `${file}.rejected.jsonl`;

/** A reference kept by key when the export has one (expanded or given), else by id. */
function reference(ref) {
  if (!ref) return undefined;
  const key = ref.key ?? ref.obj?.key;
  return key ? { typeId: ref.typeId, key } : { typeId: ref.typeId, id: ref.id };
}

function custom(fields) {
  if (!fields?.type) return undefined;
  return { type: reference(fields.type), fields: fields.fields ?? {} };
}

const COPIED = ['email', 'key', 'customerNumber', 'externalId', 'firstName', 'lastName', 'middleName', 'title',
  'salutation', 'dateOfBirth', 'companyName', 'vatId', 'locale', 'isEmailVerified', 'authenticationMode'];

/** The CustomerDraft of an exported Customer, and whether it needs a password reset. */
function toDraft(customer) {
  if (typeof customer !== 'object' || customer === null || Array.isArray(customer)) {
    throw new Error('not a JSON object');
  }
  const draft = {};
  for (const field of COPIED) if (customer[field] !== undefined) draft[field] = customer[field];
  const addresses = customer.addresses ?? [];
  const index = (id) => {
    const i = addresses.findIndex((a) => a.id === id);
    return i >= 0 ? i : undefined;
  };
  draft.addresses = addresses.map(({ id, custom: fields, ...rest }) => ({ ...rest, ...(fields ? { custom: custom(fields) } : {}) }));
  draft.defaultShippingAddress = index(customer.defaultShippingAddressId);
  draft.defaultBillingAddress = index(customer.defaultBillingAddressId);
  draft.shippingAddresses = (customer.shippingAddressIds ?? []).map(index).filter((i) => i !== undefined);
  draft.billingAddresses = (customer.billingAddressIds ?? []).map(index).filter((i) => i !== undefined);
  if (customer.customerGroup) draft.customerGroup = reference(customer.customerGroup);
  if (customer.customerGroupAssignments) {
    draft.customerGroupAssignments = customer.customerGroupAssignments.map((a) => ({ customerGroup: reference(a.customerGroup) }));
  }
  if (customer.stores) draft.stores = customer.stores.map((s) => ({ typeId: 'store', key: s.key }));
  if (customer.custom) draft.custom = custom(customer.custom);
  const needsReset = (customer.authenticationMode ?? 'Password') === 'Password';
  if (needsReset) draft.password = randomBytes(24).toString('base64url');
  for (const [name, value] of Object.entries(draft)) if (value === undefined) delete draft[name];
  return { draft, needsReset };
}

async function accessToken() {
  const reply = await fetch(`${api}/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(client).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const body = await reply.json();
  if (!body.access_token) throw new Error(`no access token from ${api}: ${JSON.stringify(body)}`);
  return body.access_token;
}

let token;
const headers = () => ({ Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' });

/** Whether the customer holding `draft.email` is this record (imported by an earlier run). */
async function alreadyImported(draft) {
  const where = encodeURIComponent(`lowercaseEmail = "${String(draft.email).toLowerCase().replaceAll('"', '\\"')}"`);
  const reply = await fetch(`${api}/${project}/customers?where=${where}&limit=1`, { headers: headers() });
  if (reply.status !== 200) return false;
  const [found] = (await reply.json()).results ?? [];
  return Boolean(found) && ['key', 'customerNumber', 'externalId'].every((f) => found[f] === draft[f]);
}

/** Sends one record; answers `created`, `existing` or `rejected` (with a reason). */
async function send(line) {
  let parsed;
  try {
    parsed = toDraft(JSON.parse(line));
  } catch (e) {
    return { outcome: 'rejected', code: 'InvalidJson', reason: e.message };
  }
  const { draft, needsReset } = parsed;
  for (let attempt = 1; ; attempt++) {
    let status;
    let body;
    try {
      const reply = await fetch(`${api}/${project}/customers`, { method: 'POST', headers: headers(), body: JSON.stringify(draft) });
      status = reply.status;
      body = await reply.json().catch(() => ({}));
    } catch (e) {
      status = 0;
      body = { message: e.message };
    }
    if (status === 201) return { outcome: 'created', needsReset };
    if (status === 401 && attempt < 5) {
      token = await accessToken();
      continue;
    }
    const code = body.errors?.[0]?.code ?? `HTTP ${status}`;
    if (code === 'DuplicateField' && (await alreadyImported(draft))) return { outcome: 'existing' };
    const transient = status === 0 || status >= 500 || code === 'LockedField' || status === 429;
    if (!transient) return { outcome: 'rejected', code, reason: body.message ?? JSON.stringify(body) };
    if (attempt >= 5) throw new Error(`line gave up after ${attempt} attempts: ${status} ${body.message ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
}

async function countLines() {
  let n = 0;
  for await (const _ of createInterface({ input: createReadStream(file) })) n++;
  return n;
}

async function main() {
  const total = await countLines();
  const start = existsSync(checkpointFile) ? Number(readFileSync(checkpointFile, 'utf8').trim()) || 0 : 0;
  token = await accessToken();
  const counts = { created: 0, existing: 0, rejected: 0, needsReset: 0 };
  const began = Date.now();
  let done = start;
  const progress = (final = false) => {
    const rate = (done - start) / Math.max(0.001, (Date.now() - began) / 1000);
    const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
    const pct = total ? ((100 * done) / total).toFixed(1) : '100.0';
    const line = `${done}/${total} lines (${pct}%) · ${rate.toFixed(0)}/s · ${counts.created} created · ${counts.existing} already there · ${counts.rejected} rejected · ETA ${eta}s`;
    process.stderr.write(process.stderr.isTTY && !final ? `\r${line}` : `${line}\n`);
  };
  let number = 0;
  let window = [];
  const flush = async () => {
    const answers = await Promise.all(window.map(({ line }) => send(line)));
    answers.forEach((answer, i) => {
      counts[answer.outcome]++;
      if (answer.needsReset) counts.needsReset++;
      if (answer.outcome === 'rejected') {
        appendFileSync(rejectedFile, `${JSON.stringify({ line: window[i].number, code: answer.code, reason: answer.reason })}\n`);
      }
    });
    done = window[window.length - 1].number;
    writeFileSync(checkpointFile, `${done}\n`);
    window = [];
    progress();
  };
  for await (const line of createInterface({ input: createReadStream(file) })) {
    number++;
    if (number <= start) continue;
    if (!line.trim()) {
      done = number;
      continue;
    }
    window.push({ number, line });
    if (window.length === concurrency) await flush();
  }
  if (window.length) await flush();
  done = total;
  writeFileSync(checkpointFile, `${done}\n`);
  progress(true);
  console.log(JSON.stringify({ lines: total, resumedAt: start, ...counts, rejectedFile: counts.rejected ? rejectedFile : null }));
}

main().catch((e) => {
  console.error(`\nimport stopped: ${e.message}\nrun the same command again to continue from ${checkpointFile}`);
  process.exit(1);
});

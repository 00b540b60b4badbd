// The ceiling of bench/throughput.mjs: a Worker that does nothing but answer 404, plus three
// references for what the platform itself costs, measured in the same run:
// `/d1` — one D1 round trip (a statement that returns a customer-sized document, no table);
// `/do-d1` — one Durable Object hop whose object makes one D1 round trip (Worker → object → D1);
// `/do-d1-write?c=N` — one Durable Object hop (object N) whose object makes one D1 batch that
// writes what an update's batch writes at least: a version check, the row's new document and a
// message row (the update path's floor).
import { DurableObject } from 'cloudflare:workers';

const DOC = JSON.stringify({ filler: 'x'.repeat(1200) });

async function oneRoundTrip(db) {
  const row = await db.prepare('SELECT ?1 AS doc').bind(DOC).first();
  return new Response(row.doc, { headers: { 'Content-Type': 'application/json' } });
}

const TABLES = [
  'CREATE TABLE IF NOT EXISTS docs (id TEXT PRIMARY KEY, version INTEGER NOT NULL, doc TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, doc TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS guards (ok INTEGER NOT NULL CHECK (ok = 1))',
];

export class Reference extends DurableObject {
  version = 0;

  async fetch(request) {
    const c = new URL(request.url).searchParams.get('c');
    if (c === null) return oneRoundTrip(this.env.DB);
    return this.write(`doc-${c}`);
  }

  /** One batch: the version check, the new document, a message row; answers the document. */
  async write(id) {
    const db = this.env.DB;
    if (this.version === 0) {
      await db.batch(TABLES.map((sql) => db.prepare(sql)));
      await db.prepare('INSERT OR REPLACE INTO docs (id, version, doc) VALUES (?1, 0, ?2)').bind(id, DOC).run();
    }
    const doc = JSON.stringify({ filler: 'x'.repeat(1200), version: this.version + 1 });
    await db.batch([
      db.prepare('INSERT INTO guards (ok) SELECT COUNT(*) FROM docs WHERE id = ?1 AND version = ?2').bind(id, this.version),
      db.prepare('UPDATE docs SET version = version + 1, doc = ?2 WHERE id = ?1').bind(id, doc),
      db.prepare('INSERT INTO log (doc_id, doc) VALUES (?1, ?2)').bind(id, doc.slice(0, 400)),
    ]);
    this.version += 1;
    return new Response(doc, { headers: { 'Content-Type': 'application/json' } });
  }
}

export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/d1') return oneRoundTrip(env.DB);
    if (url.pathname === '/do-d1') return env.REFERENCE.get(env.REFERENCE.idFromName('one')).fetch(request);
    if (url.pathname === '/do-d1-write') {
      const name = `write-${url.searchParams.get('c') ?? '0'}`;
      return env.REFERENCE.get(env.REFERENCE.idFromName(name)).fetch(request);
    }
    return new Response('{"statusCode":404}', { status: 404, headers: { 'Content-Type': 'application/json' } });
  },
};

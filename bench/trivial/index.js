// The ceiling of bench/throughput.mjs: a Worker that does nothing but answer 404, plus two
// references for what the platform itself costs, measured in the same run:
// `/d1` — one D1 round trip (a statement that returns a customer-sized document, no table);
// `/do-d1` — one Durable Object hop whose object makes one D1 round trip (the update path's
// floor: Worker → object → D1).
import { DurableObject } from 'cloudflare:workers';

const DOC = JSON.stringify({ filler: 'x'.repeat(1200) });

async function oneRoundTrip(db) {
  const row = await db.prepare('SELECT ?1 AS doc').bind(DOC).first();
  return new Response(row.doc, { headers: { 'Content-Type': 'application/json' } });
}

export class Reference extends DurableObject {
  fetch() {
    return oneRoundTrip(this.env.DB);
  }
}

export default {
  fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/d1') return oneRoundTrip(env.DB);
    if (path === '/do-d1') return env.REFERENCE.get(env.REFERENCE.idFromName('one')).fetch(request);
    return new Response('{"statusCode":404}', { status: 404, headers: { 'Content-Type': 'application/json' } });
  },
};

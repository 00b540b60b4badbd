// The newer MCP client (@modelcontextprotocol/client 2.x) against the Worker, negotiating the
// stateless 2026-07-28 revision (`server/discover`, no `initialize`), then the legacy
// handshake: both generations of clients speak to the endpoint natively.
// Run by tests/api/mcp.rs with EDGE_API_URL, MCP_TOKEN and MCP_TOOLS as for client-v1.mjs.
import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const host = process.env.EDGE_API_URL;
const token = process.env.MCP_TOKEN;
const expected = process.env.MCP_TOOLS.split(',').sort();

async function session(mode) {
  const transport = new StreamableHTTPClientTransport(new URL(`${host}/demo/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'edge-customer-api-test-v2', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(transport);
  return client;
}

for (const [mode, revision] of [
  ['auto', '2026-07-28'],
  ['legacy', '2025-11-25'],
]) {
  const client = await session(mode);
  assert.equal(client.getNegotiatedProtocolVersion(), revision, mode);
  const listed = await client.listTools();
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), expected, mode);
  const email = `mcp2-${mode}-${Date.now()}-${Math.floor(Math.random() * 1e9)}@example.com`;
  const created = await client.callTool({
    name: 'commercetools_customers_create_customers',
    arguments: { email, password: 'secret123' },
  });
  assert.equal(created.isError, false, JSON.stringify(created.content));
  assert.equal(created.structuredContent.customer.email, email);
  const unknownAction = await client.callTool({
    name: 'commercetools_customers_update_customers_by_id',
    arguments: { ID: created.structuredContent.customer.id, version: 1, actions: [{ action: 'teleport' }] },
  });
  assert.equal(unknownAction.isError, true);
  assert.equal(JSON.parse(unknownAction.content[0].text).errors[0].code, 'InvalidJsonInput');
  await client.close();
}
console.log('official MCP client (v2): ok');

// Drives the Worker's MCP endpoint with the official MCP TypeScript client
// (@modelcontextprotocol/sdk 1.x: initialize handshake, revision 2025-11-25), unchanged: it
// lists the tools and calls every served tool on real data.
// Run by tests/api/mcp.rs with EDGE_API_URL (the running `wrangler dev`), MCP_TOKEN (a bearer
// token of the demo project) and MCP_TOOLS (the names the Worker must list, comma-separated).
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const host = process.env.EDGE_API_URL;
const token = process.env.MCP_TOKEN;
const expected = process.env.MCP_TOOLS.split(',').sort();
assert.ok(host && token, 'EDGE_API_URL and MCP_TOKEN must be set');

const transport = new StreamableHTTPClientTransport(new URL(`${host}/demo/mcp`), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: 'edge-customer-api-test', version: '1.0.0' });
await client.connect(transport);
assert.equal(client.getServerVersion().name, 'edge-customer-api');

// tools/list: exactly the served tools, each with an object schema.
const tools = [];
let cursor;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  tools.push(...page.tools);
  cursor = page.nextCursor;
} while (cursor);
assert.deepEqual(tools.map((t) => t.name).sort(), expected);
for (const tool of tools) {
  assert.equal(tool.inputSchema.type, 'object', tool.name);
  assert.ok(tool.description.length > 0, tool.name);
}
const schema = (name) => tools.find((t) => t.name === `commercetools_customers_${name}`).inputSchema;
assert.deepEqual(schema('update_customers_by_id').required.sort(), ['ID', 'actions', 'version']);
assert.equal(schema('list_customers').properties.limit.type, 'integer');

await client.ping();

const called = new Set();
/** Calls a tool (by its short name) and returns its structured result; it must succeed. */
async function call(name, args) {
  const full = `commercetools_customers_${name}`;
  called.add(full);
  const result = await client.callTool({ name: full, arguments: args });
  assert.equal(result.isError, false, `${name}: ${JSON.stringify(result.content)}`);
  assert.equal(result.content[0].type, 'text');
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  return result.structuredContent;
}
/** Calls a tool that must fail with the API's error `code`; returns the envelope. */
async function failing(name, args, code) {
  const full = `commercetools_customers_${name}`;
  called.add(full);
  const result = await client.callTool({ name: full, arguments: args });
  assert.equal(result.isError, true, `${name} should fail: ${JSON.stringify(result.content)}`);
  const envelope = JSON.parse(result.content[0].text);
  assert.equal(envelope.errors[0].code, code, JSON.stringify(envelope));
  return envelope;
}

const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const email = `mcp-${suffix}@example.com`;
const key = `mcp-${suffix}`;

// Customer groups.
const group = await call('create_customer_groups', { groupName: `MCP ${suffix}`, key: `g-${suffix}` });
assert.equal(group.version, 1);
assert.equal((await call('get_customer_groups_by_id', { ID: group.id })).key, `g-${suffix}`);
assert.equal((await call('get_customer_groups_by_key', { key: `g-${suffix}` })).id, group.id);
const groups = await call('list_customer_groups', { where: [`key = "g-${suffix}"`] });
assert.equal(groups.results.length, 1);
const renamed = await call('update_customer_groups_by_id', {
  ID: group.id,
  version: 1,
  actions: [{ action: 'changeName', name: `MCP renamed ${suffix}` }],
});
assert.equal(renamed.version, 2);
const rekeyed = await call('update_customer_groups_by_key', {
  key: `g-${suffix}`,
  version: 2,
  actions: [{ action: 'setKey', key: `g2-${suffix}` }],
});
assert.equal(rekeyed.key, `g2-${suffix}`);

// Customers: create, read, list, update (and a stale version), tokens, delete.
const created = await call('create_customers', {
  email,
  password: 'secret123',
  key,
  customerGroup: { typeId: 'customer-group', id: group.id },
});
const customer = created.customer;
assert.equal(customer.email, email);
const expanded = await call('get_by_id', { ID: customer.id, expand: ['customerGroup'] });
assert.equal(expanded.customerGroup.obj.id, group.id);
assert.equal((await call('get_by_key', { key })).id, customer.id);
const listed = await call('list_customers', { where: [`key = "${key}"`], limit: 5, withTotal: true });
assert.equal(listed.total, 1);
const updated = await call('update_customers_by_id', {
  ID: customer.id,
  version: 1,
  actions: [{ action: 'setFirstName', firstName: 'Agent' }],
});
assert.equal(updated.version, 2);
const stale = await failing(
  'update_customers_by_key',
  { key, version: 1, actions: [{ action: 'setLastName', lastName: 'Late' }] },
  'ConcurrentModification',
);
assert.equal(stale.errors[0].currentVersion, 2);
const byKey = await call('update_customers_by_key', {
  key,
  version: 2,
  actions: [{ action: 'setLastName', lastName: 'Smith' }],
});
assert.equal(byKey.version, 3);
const changed = await call('create_customers_password', {
  id: customer.id,
  version: 3,
  currentPassword: 'secret123',
  newPassword: 'secret456',
});
assert.equal(changed.version, 4);
const passwordToken = await call('create_customers_password_token', { email, ttlMinutes: 10 });
const byPasswordToken = await call('list_customers_password_token_password_token', { passwordToken: passwordToken.value });
assert.equal(byPasswordToken.id, customer.id);
const reset = await call('create_customers_password_reset', { tokenValue: passwordToken.value, newPassword: 'secret789' });
assert.equal(reset.id, customer.id);
const emailToken = await call('create_customers_email_token', { id: customer.id, ttlMinutes: 10 });
const byEmailToken = await call('list_customers_email_token_email_token', { emailToken: emailToken.value });
assert.equal(byEmailToken.id, customer.id);
const confirmed = await call('create_customers_email_confirm', { tokenValue: emailToken.value });
assert.equal(confirmed.isEmailVerified, true);

// Customer search (on in the demo project for the whole test run): the customer is found.
const status = await call('list_customers_search_indexing_status', {});
assert.equal(status.status, 'Ready');
const found = await call('create_customers_search', {
  query: { exact: { field: 'email', value: email } },
  limit: 5,
});
assert.deepEqual(found.results.map((r) => r.id), [customer.id]);

// A group still in use cannot be deleted; a missing argument is a tool error, not a crash.
await failing('delete_customer_groups_by_id', { ID: group.id, version: 3 }, 'ReferenceExists');
const missing = await client.callTool({ name: 'commercetools_customers_get_by_id', arguments: {} });
assert.equal(missing.isError, true);

// B2B: an associate role, a Company with the customer as associate, a Division below it.
const roleKey = `r-${suffix}`;
const role = await call('create_associate_roles', { key: roleKey, name: 'Buyer', permissions: ['ViewMyCarts'] });
assert.equal((await call('get_associate_roles_by_id', { ID: role.id })).key, roleKey);
assert.equal((await call('get_associate_roles_by_key', { key: roleKey })).id, role.id);
assert.equal((await call('list_associate_roles', { where: [`key = "${roleKey}"`] })).count, 1);
const roleV2 = await call('update_associate_roles_by_id', {
  ID: role.id,
  version: 1,
  actions: [{ action: 'addPermission', permission: 'CreateMyCarts' }],
});
assert.deepEqual(roleV2.permissions.sort(), ['CreateMyCarts', 'ViewMyCarts']);
await call('update_associate_roles_by_key', { key: roleKey, version: 2, actions: [{ action: 'setName', name: 'Purchaser' }] });
const companyKey = `co-${suffix}`;
const company = await call('create_business_units', {
  key: companyKey,
  name: 'MCP Company',
  unitType: 'Company',
  associates: [
    {
      customer: { typeId: 'customer', id: customer.id },
      associateRoleAssignments: [{ associateRole: { typeId: 'associate-role', key: roleKey }, inheritance: 'Enabled' }],
    },
  ],
});
// The seed's create tool has no parentUnit: a Division is a Company moved below another.
const unit = await call('create_business_units', { key: `div-${suffix}`, name: 'MCP Division', unitType: 'Company' });
const division = await call('update_business_units_by_id', {
  ID: unit.id,
  version: 1,
  actions: [
    { action: 'setUnitType', unitType: 'Division', parentUnit: { typeId: 'business-unit', key: companyKey } },
    { action: 'changeAssociateMode', associateMode: 'ExplicitAndFromParent' },
  ],
});
assert.equal(division.unitType, 'Division');
assert.equal((await call('get_business_units_by_id', { ID: company.id })).key, companyKey);
assert.equal((await call('get_business_units_by_key', { key: companyKey })).id, company.id);
assert.equal((await call('list_business_units', { where: [`topLevelUnit(key = "${companyKey}")`] })).count, 2);
await call('update_business_units_by_id', { ID: division.id, version: division.version, actions: [{ action: 'changeName', name: 'Renamed' }] });
await call('update_business_units_by_key', { key: companyKey, version: 1, actions: [{ action: 'setContactEmail', contactEmail: 'b2b@example.com' }] });
const inherited = await call('get_business_units_associates_by_business_unit_id_and_associate_id', {
  businessUnitId: division.id,
  associateId: customer.id,
});
assert.ok(JSON.stringify(inherited).includes(roleKey), JSON.stringify(inherited));
await call('get_business_units_associates_by_key_and_associate_id', { key: companyKey, associateId: customer.id });
await failing('delete_associate_roles_by_key', { key: roleKey, version: 3 }, 'ReferenceExists');
// Business Unit Search (on in the demo project for the whole test run): the renamed
// Division is found at once.
const unitStatus = await call('list_business_units_search_indexing_status', {});
assert.equal(unitStatus.status, 'Ready');
const units = await call('create_business_units_search', {
  query: { exact: { field: 'topLevelUnit.key', value: companyKey } },
  sort: [{ field: 'key', order: 'asc' }],
});
assert.deepEqual(units.results.map((r) => r.id), [company.id, division.id]);
await call('delete_business_units_by_id', { ID: division.id, version: division.version + 1 });
await call('delete_business_units_by_key', { key: companyKey, version: 2 });
await call('delete_associate_roles_by_id', { ID: role.id, version: 3 });
const otherRole = await call('create_associate_roles', { key: `r2-${suffix}` });
await call('delete_associate_roles_by_key', { key: `r2-${suffix}`, version: otherRole.version });

// A second customer, deleted by id; the first by key; then the group by key.
const other = await call('create_customers', { email: `mcp-other-${suffix}@example.com`, password: 'x' });
const deletedById = await call('delete_by_id', { ID: other.customer.id, version: 1, dataErasure: true });
assert.equal(deletedById.id, other.customer.id);
await call('delete_by_key', { key, version: confirmed.version });
const otherGroup = await call('create_customer_groups', { groupName: `MCP other ${suffix}` });
await call('delete_customer_groups_by_id', { ID: otherGroup.id, version: 1 });
await call('delete_customer_groups_by_key', { key: `g2-${suffix}`, version: 3 });
await failing('get_by_id', { ID: customer.id }, 'ResourceNotFound');

// Every listed tool was called at least once.
assert.deepEqual([...called].sort(), expected);
await client.close();
console.log('official MCP client (v1): ok');

// Drives associate roles and business units with the official commercetools SDK
// (@commercetools/platform-sdk + @commercetools/ts-client), unchanged: only the hosts point at
// the local Worker. Run by tests/api/sdk.rs with EDGE_API_URL set to the running `wrangler dev`.
import assert from 'node:assert/strict';
import { ClientBuilder } from '@commercetools/ts-client';
import { createApiBuilderFromCtpClient } from '@commercetools/platform-sdk';

const host = process.env.EDGE_API_URL;
assert.ok(host, 'EDGE_API_URL must point at the running Worker');
const projectKey = 'demo';

const client = new ClientBuilder()
  .withProjectKey(projectKey)
  .withClientCredentialsFlow({
    host,
    projectKey,
    credentials: { clientId: 'demo-admin', clientSecret: 'demo-admin-secret' },
    scopes: [
      `manage_associate_roles:${projectKey}`,
      `manage_business_units:${projectKey}`,
      `manage_customers:${projectKey}`,
    ],
    httpClient: fetch,
  })
  .withHttpMiddleware({ host, httpClient: fetch })
  .build();
const api = createApiBuilderFromCtpClient(client).withProjectKey({ projectKey });

const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

// Associate roles: create, get by id and key, query, update, delete.
const roleKey = `sdk-role-${suffix}`;
const role = (
  await api
    .associateRoles()
    .post({ body: { key: roleKey, name: 'Buyer', permissions: ['ViewMyCarts', 'CreateMyCarts'] } })
    .execute()
).body;
assert.equal(role.buyerAssignable, true);
assert.deepEqual(role.permissions, ['ViewMyCarts', 'CreateMyCarts']);
assert.deepEqual((await api.associateRoles().withId({ ID: role.id }).get().execute()).body, role);
assert.deepEqual((await api.associateRoles().withKey({ key: roleKey }).get().execute()).body, role);
const roles = (
  await api.associateRoles().get({ queryArgs: { where: `key = "${roleKey}"` } }).execute()
).body;
assert.equal(roles.results.length, 1);
const updatedRole = (
  await api
    .associateRoles()
    .withId({ ID: role.id })
    .post({
      body: {
        version: role.version,
        actions: [
          { action: 'addPermission', permission: 'UpdateAssociates' },
          { action: 'changeBuyerAssignable', buyerAssignable: false },
        ],
      },
    })
    .execute()
).body;
assert.equal(updatedRole.version, 3);
assert.equal(updatedRole.buyerAssignable, false);

// A customer to be an associate.
const customer = (
  await api
    .customers()
    .post({ body: { email: `sdk-b2b-${suffix}@example.com`, password: 'secret123' } })
    .execute()
).body.customer;

// Business units: a Company with the customer as associate, a Division below it.
const companyKey = `sdk-co-${suffix}`;
const company = (
  await api
    .businessUnits()
    .post({
      body: {
        key: companyKey,
        name: 'SDK Company',
        unitType: 'Company',
        associates: [
          {
            customer: { typeId: 'customer', id: customer.id },
            associateRoleAssignments: [
              { associateRole: { typeId: 'associate-role', key: roleKey }, inheritance: 'Enabled' },
            ],
          },
        ],
      },
    })
    .execute()
).body;
assert.equal(company.unitType, 'Company');
assert.deepEqual(company.topLevelUnit, { typeId: 'business-unit', key: companyKey });
const division = (
  await api
    .businessUnits()
    .post({
      body: {
        key: `sdk-div-${suffix}`,
        name: 'SDK Division',
        unitType: 'Division',
        parentUnit: { typeId: 'business-unit', key: companyKey },
      },
    })
    .execute()
).body;
assert.equal(division.storeMode, 'FromParent');
assert.deepEqual(
  (await api.businessUnits().withKey({ key: companyKey }).get().execute()).body,
  company,
);
const units = (
  await api
    .businessUnits()
    .get({ queryArgs: { where: `topLevelUnit(key = "${companyKey}")`, sort: 'createdAt asc' } })
    .execute()
).body;
assert.deepEqual(
  units.results.map((u) => u.key),
  [companyKey, division.key],
);
const renamed = (
  await api
    .businessUnits()
    .withId({ ID: division.id })
    .post({ body: { version: 1, actions: [{ action: 'changeName', name: 'Renamed' }] } })
    .execute()
).body;
assert.equal(renamed.name, 'Renamed');

// Business Unit Search (the test run switches it on in the demo project): both units by
// their tree, at once after the write, and HEAD (this client's scopes do not include
// view_project_settings, which the indexing status needs).
const unitSearch = await api
  .businessUnits()
  .search()
  .post({
    body: {
      query: { exact: { field: 'topLevelUnit.key', value: companyKey } },
      sort: [{ field: 'createdAt', order: 'asc' }],
    },
  })
  .execute();
assert.equal(unitSearch.statusCode, 200);
assert.deepEqual(unitSearch.body.results.map((r) => r.id), [company.id, division.id]);
const renamedFound = await api
  .businessUnits()
  .search()
  .post({ body: { query: { fullText: { field: 'name', value: 'Renamed' } }, limit: 100 } })
  .execute();
assert.ok(renamedFound.body.results.some((r) => r.id === division.id));
assert.equal((await api.businessUnits().search().head().execute()).statusCode, 200);

// The associate lookup: the Company's role is inherited by the Division.
const access = (
  await api
    .businessUnits()
    .withBusinessUnitIdValueAssociatesWithAssociateIdValue({
      businessUnitId: division.id,
      associateId: customer.id,
    })
    .get()
    .execute()
).body;
assert.deepEqual(access.associateRoles, []);
assert.deepEqual(
  access.inheritedAssociateRoles.map((r) => r.key),
  [roleKey],
);
assert.deepEqual(access.permissions, ['ViewMyCarts', 'CreateMyCarts', 'UpdateAssociates']);

// As the associate: the inherited role lets it read the Division and change its associates
// (UpdateAssociates), not its details.
const asAssociate = api.asAssociate().withAssociateIdValue({ associateId: customer.id }).businessUnits();
assert.equal((await asAssociate.withId({ ID: division.id }).get().execute()).body.key, division.key);
assert.deepEqual(
  (await asAssociate.get({ queryArgs: { where: `key = "${companyKey}"` } }).execute()).body.results.map(
    (u) => u.key,
  ),
  [companyKey],
);
await assert.rejects(
  asAssociate
    .withKey({ key: division.key })
    .post({ body: { version: 2, actions: [{ action: 'changeName', name: 'Mine' }] } })
    .execute(),
  (e) =>
    e.statusCode === 403 &&
    e.body.errors[0].code === 'AssociateMissingPermission' &&
    e.body.errors[0].permissions[0] === 'UpdateBusinessUnitDetails',
);
const explicitNow = (
  await asAssociate
    .withKey({ key: division.key })
    .post({ body: { version: 2, actions: [{ action: 'changeAssociateMode', associateMode: 'Explicit' }] } })
    .execute()
).body;
assert.equal(explicitNow.associateMode, 'Explicit');

// Deletes: the Division, then the Company (which then holds nobody), then the role.
await api.businessUnits().withId({ ID: division.id }).delete({ queryArgs: { version: 3 } }).execute();
await api
  .businessUnits()
  .withKey({ key: companyKey })
  .delete({ queryArgs: { version: 1, dataErasure: true } })
  .execute();
await api
  .associateRoles()
  .withKey({ key: roleKey })
  .delete({ queryArgs: { version: updatedRole.version } })
  .execute();
console.log('official SDK B2B round trip: ok');

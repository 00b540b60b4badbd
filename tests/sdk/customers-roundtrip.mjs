// Drives the Worker with the official commercetools SDK (@commercetools/platform-sdk +
// @commercetools/ts-client), unchanged: only the hosts point at the local Worker.
// Run by tests/api/sdk.rs with EDGE_API_URL set to the running `wrangler dev`.
import assert from 'node:assert/strict';
import { ClientBuilder } from '@commercetools/ts-client';
import { createApiBuilderFromCtpClient } from '@commercetools/platform-sdk';
import { failure } from './support.mjs';

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
      `manage_customers:${projectKey}`,
      `manage_types:${projectKey}`,
      `manage_customer_groups:${projectKey}`,
      `view_messages:${projectKey}`,
      `view_project_settings:${projectKey}`,
    ],
    httpClient: fetch,
  })
  .withHttpMiddleware({ host, httpClient: fetch })
  .build();
const api = createApiBuilderFromCtpClient(client).withProjectKey({ projectKey });

const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
const email = `sdk-${suffix}@example.com`;
const key = `sdk-${suffix}`;

// Create.
const created = await api
  .customers()
  .post({
    body: {
      email,
      password: 'secret123',
      key,
      firstName: 'Sdk',
      lastName: 'User',
      addresses: [{ country: 'DE', city: 'Berlin', key: 'home' }],
      defaultShippingAddress: 0,
    },
  })
  .execute();
assert.equal(created.statusCode, 201);
const customer = created.body.customer;
assert.equal(customer.email, email);
assert.equal(customer.version, 1);
assert.equal(customer.key, key);
assert.match(customer.password, /^\*\*\*\*.{4}$/);
assert.equal(customer.shippingAddressIds[0], customer.defaultShippingAddressId);

// Customer Search (the test run switches it on in the demo project): find the customer by
// its key's unique part, and the project's search status.
const searched = await api
  .customers()
  .search()
  .post({ body: { query: { fullText: { field: 'all', value: suffix } }, limit: 5 } })
  .execute();
assert.equal(searched.statusCode, 200);
assert.deepEqual(searched.body.results.map((r) => r.id), [customer.id]);
assert.equal(searched.body.total, 1);
assert.ok(searched.body.results[0].relevance > 0);
const searchStatus = await api.customers().searchIndexingStatus().get().execute();
const searchHead = await api.customers().search().head().execute();
assert.equal(searchHead.statusCode, 200);
assert.equal(searchStatus.body.status, 'Ready');
const projectSettings = await api.get().execute();
assert.equal(projectSettings.body.searchIndexing.customers.status, 'Activated');

// Get by id and by key; check existence with HEAD.
const byId = await api.customers().withId({ ID: customer.id }).get().execute();
assert.equal(byId.statusCode, 200);
assert.deepEqual(byId.body, customer);
const byKey = await api.customers().withKey({ key }).get().execute();
assert.deepEqual(byKey.body, customer);
const head = await api.customers().withId({ ID: customer.id }).head().execute();
assert.equal(head.statusCode, 200);

// A custom type for the customer's custom fields (types are checked: they must exist).
const typeKey = `sdk-type-${suffix}`;
const createdType = await api
  .types()
  .post({
    body: {
      key: typeKey,
      name: { en: 'SDK' },
      resourceTypeIds: ['customer'],
      fieldDefinitions: [{ name: 'vip', label: { en: 'VIP' }, required: false, type: { name: 'Boolean' } }],
    },
  })
  .execute();
assert.equal(createdType.statusCode, 201);
const typeByKey = await api.types().withKey({ key: typeKey }).get().execute();
assert.equal(typeByKey.body.id, createdType.body.id);
const typeRenamed = await api
  .types()
  .withId({ ID: createdType.body.id })
  .post({
    body: {
      version: 1,
      actions: [
        { action: 'changeName', name: { en: 'SDK fields' } },
        { action: 'addFieldDefinition', fieldDefinition: { name: 'tier', label: { en: 'Tier' }, required: false, type: { name: 'String' } } },
      ],
    },
  })
  .execute();
assert.equal(typeRenamed.body.version, 3);
assert.deepEqual(typeRenamed.body.fieldDefinitions.map((f) => f.name), ['vip', 'tier']);
const typesFound = await api.types().get({ queryArgs: { where: `key = "${typeKey}"` } }).execute();
assert.equal(typesFound.body.results[0].version, 3);

// Update with several actions (by id), then by key; a stale version is a 409.
const newEmail = `sdk-new-${suffix}@example.com`;
const updated = await api
  .customers()
  .withId({ ID: customer.id })
  .post({
    body: {
      version: customer.version,
      actions: [
        { action: 'setFirstName', firstName: 'Updated' },
        { action: 'addAddress', address: { country: 'FR', city: 'Paris', key: 'work' } },
        { action: 'setDefaultBillingAddress', addressKey: 'work' },
        { action: 'changeEmail', email: newEmail },
        { action: 'setCustomType', type: { key: typeKey, typeId: 'type' }, fields: { vip: true } },
      ],
    },
  })
  .execute();
assert.equal(updated.statusCode, 200);
assert.equal(updated.body.version, customer.version + 5);
assert.equal(updated.body.firstName, 'Updated');
assert.equal(updated.body.email, newEmail);
assert.equal(updated.body.addresses.length, 2);
assert.equal(updated.body.defaultBillingAddressId, updated.body.addresses[1].id);
assert.deepEqual(updated.body.custom.fields, { vip: true });
const byKeyUpdate = await api
  .customers()
  .withKey({ key })
  .post({ body: { version: updated.body.version, actions: [{ action: 'setCustomField', name: 'vip', value: false }] } })
  .execute();
assert.equal(byKeyUpdate.body.custom.fields.vip, false);
const stale = await failure(
  api.customers().withId({ ID: customer.id }).post({ body: { version: customer.version, actions: [] } }),
);
assert.equal(stale.statusCode, 409);
assert.equal(stale.body.errors[0].currentVersion, byKeyUpdate.body.version);
const unknownAction = await failure(
  api.customers().withId({ ID: customer.id }).post({ body: { version: byKeyUpdate.body.version, actions: [{ action: 'teleport' }] } }),
);
assert.equal(unknownAction.statusCode, 400);
assert.equal(unknownAction.body.errors[0].code, 'InvalidJsonInput');

// A customer group: create, assign by key, read the customer with the group expanded,
// rename it, and see that a group still in use cannot be deleted.
const groupKey = `sdk-group-${suffix}`;
const group = await api
  .customerGroups()
  .post({ body: { groupName: `Gold ${suffix}`, key: groupKey } })
  .execute();
assert.equal(group.statusCode, 201);
assert.equal(group.body.version, 1);
const grouped = await api
  .customers()
  .withId({ ID: customer.id })
  .post({
    body: {
      version: byKeyUpdate.body.version,
      actions: [{ action: 'setCustomerGroup', customerGroup: { typeId: 'customer-group', key: groupKey } }],
    },
  })
  .execute();
assert.deepEqual(grouped.body.customerGroup, { typeId: 'customer-group', id: group.body.id });
const expanded = await api
  .customers()
  .withId({ ID: customer.id })
  .get({ queryArgs: { expand: ['customerGroup'] } })
  .execute();
assert.equal(expanded.body.customerGroup.obj.key, groupKey);
const renamed = await api
  .customerGroups()
  .withKey({ key: groupKey })
  .post({ body: { version: 1, actions: [{ action: 'changeName', name: `Platinum ${suffix}` }] } })
  .execute();
assert.equal(renamed.body.name, `Platinum ${suffix}`);
const groups = await api
  .customerGroups()
  .get({ queryArgs: { where: `key = "${groupKey}"`, withTotal: true } })
  .execute();
assert.equal(groups.body.total, 1);
assert.equal(groups.body.results[0].id, group.body.id);
const inUse = await failure(api.customerGroups().withId({ ID: group.body.id }).delete({ queryArgs: { version: 2 } }));
assert.equal(inUse.statusCode, 400);
assert.equal(inUse.body.errors[0].code, 'ReferenceExists');

// Query with a predicate, an input variable, sorting and paging.
const queried = await api
  .customers()
  .get({ queryArgs: { where: [`lowercaseEmail = "${newEmail.toLowerCase()}"`, 'firstName = :name'], 'var.name': 'Updated', sort: 'createdAt desc', limit: 5 } })
  .execute();
assert.equal(queried.statusCode, 200);
assert.equal(queried.body.count, 1);
assert.equal(queried.body.total, 1);
assert.equal(queried.body.limit, 5);
assert.equal(queried.body.results[0].id, customer.id);
const viaAddress = await api
  .customers()
  .get({ queryArgs: { where: `addresses(key = "work" and city = "Paris") and key = "${key}"`, withTotal: false } })
  .execute();
assert.equal(viaAddress.body.count, 1);
assert.equal(viaAddress.body.total, undefined);
const exists = await api.customers().head({ queryArgs: { where: `key = "${key}"` } }).execute();
assert.equal(exists.statusCode, 200);
const badQuery = await failure(api.customers().get({ queryArgs: { where: 'firstName ==' } }));
assert.equal(badQuery.statusCode, 400);
assert.equal(badQuery.body.errors[0].code, 'InvalidInput');

// Sign in (email in any case), a wrong password, then a password reset through a token.
const signedIn = await api.login().post({ body: { email: newEmail.toUpperCase(), password: 'secret123' } }).execute();
assert.equal(signedIn.statusCode, 200);
assert.equal(signedIn.body.customer.id, customer.id);
const wrongPassword = await failure(api.login().post({ body: { email: newEmail, password: 'nope' } }));
assert.equal(wrongPassword.statusCode, 400);
assert.equal(wrongPassword.body.errors[0].code, 'InvalidCredentials');
const resetToken = await api.customers().passwordToken().post({ body: { email: newEmail, ttlMinutes: 30 } }).execute();
assert.equal(resetToken.body.customerId, customer.id);
const viaToken = await api.customers().withPasswordToken({ passwordToken: resetToken.body.value }).get().execute();
assert.equal(viaToken.body.id, customer.id);
const reset = await api
  .customers()
  .passwordReset()
  .post({ body: { tokenValue: resetToken.body.value, newPassword: 'brand-new-456' } })
  .execute();
assert.equal(reset.statusCode, 200);
const afterReset = await api.login().post({ body: { email: newEmail, password: 'brand-new-456' } }).execute();
assert.equal(afterReset.body.customer.version, reset.body.version);
const reused = await failure(
  api.customers().passwordReset().post({ body: { tokenValue: resetToken.body.value, newPassword: 'again' } }),
);
assert.equal(reused.statusCode, 404);

// The SDK's password flow: the client signs the customer in on its first request.
const customerClient = new ClientBuilder()
  .withProjectKey(projectKey)
  .withPasswordFlow({
    host,
    projectKey,
    credentials: {
      clientId: 'demo-admin',
      clientSecret: 'demo-admin-secret',
      user: { username: newEmail, password: 'brand-new-456' },
    },
    scopes: [`view_customers:${projectKey}`],
    httpClient: fetch,
  })
  .withHttpMiddleware({ host, httpClient: fetch })
  .build();
const asCustomer = createApiBuilderFromCtpClient(customerClient).withProjectKey({ projectKey });
const seenByCustomer = await asCustomer.customers().withId({ ID: customer.id }).get().execute();
assert.equal(seenByCustomer.body.email, newEmail);

// The SDK's anonymous session flow.
const anonymousClient = new ClientBuilder()
  .withProjectKey(projectKey)
  .withAnonymousSessionFlow({
    host,
    projectKey,
    credentials: { clientId: 'demo-admin', clientSecret: 'demo-admin-secret', anonymousId: `sdk-anonymous-${suffix}` },
    scopes: [`view_customers:${projectKey}`],
    httpClient: fetch,
  })
  .withHttpMiddleware({ host, httpClient: fetch })
  .build();
const asAnonymous = createApiBuilderFromCtpClient(anonymousClient).withProjectKey({ projectKey });
const seenByAnonymous = await asAnonymous.customers().withKey({ key }).get().execute();
assert.equal(seenByAnonymous.body.id, customer.id);

// The SDK's refresh-token flow, with a refresh token from the storefront's password flow.
const basic = Buffer.from('demo-storefront:demo-storefront-secret').toString('base64');
const session = await fetch(`${host}/oauth/${projectKey}/customers/token`, {
  method: 'POST',
  headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
  body: `grant_type=password&username=${encodeURIComponent(newEmail)}&password=brand-new-456`,
}).then((r) => r.json());
assert.ok(session.refresh_token);
const refreshClient = new ClientBuilder()
  .withProjectKey(projectKey)
  .withRefreshTokenFlow({
    host,
    projectKey,
    credentials: { clientId: 'demo-storefront', clientSecret: 'demo-storefront-secret' },
    refreshToken: session.refresh_token,
    httpClient: fetch,
  })
  .withHttpMiddleware({ host, httpClient: fetch })
  .build();
const asRefreshed = createApiBuilderFromCtpClient(refreshClient).withProjectKey({ projectKey });
// The storefront's customer token may not read customers: a 403, not a 401, proves the
// refreshed token is valid.
const forbidden = await failure(asRefreshed.customers().withId({ ID: customer.id }).get());
assert.equal(forbidden.statusCode, 403);
assert.equal(forbidden.body.errors[0].code, 'insufficient_scope');

// A duplicate email (other case) is a DuplicateField error the SDK surfaces as usual.
const duplicate = await failure(api.customers().post({ body: { email: newEmail.toUpperCase(), password: 'x' } }));
assert.equal(duplicate.statusCode, 400);
assert.equal(duplicate.body.errors[0].code, 'DuplicateField');
assert.equal(duplicate.body.errors[0].field, 'email');

// In-store: create in a store, read it there, not in another store.
const inStore = await api
  .inStoreKeyWithStoreKeyValue({ storeKey: 'sdk-store' })
  .customers()
  .post({ body: { email: `store-${email}`, password: 'secret123' } })
  .execute();
assert.deepEqual(inStore.body.customer.stores, [{ typeId: 'store', key: 'sdk-store' }]);
const otherStore = await failure(
  api.inStoreKeyWithStoreKeyValue({ storeKey: 'elsewhere' }).customers().withId({ ID: inStore.body.customer.id }).get(),
);
assert.equal(otherStore.statusCode, 404);

// The customer's history through the messages endpoint, in order.
const history = await api
  .messages()
  .get({ queryArgs: { where: `resource(id = "${customer.id}")`, sort: 'sequenceNumber asc', limit: 500 } })
  .execute();
assert.equal(history.statusCode, 200);
assert.deepEqual(
  history.body.results.map((m) => m.sequenceNumber),
  history.body.results.map((_, i) => i + 1),
);
assert.equal(history.body.results[0].type, 'CustomerCreated');
assert.equal(history.body.results[0].resource.id, customer.id);
assert.ok(history.body.results.some((m) => m.type === 'CustomerEmailChanged' && m.email === newEmail));
const oneMessage = await api.messages().withId({ ID: history.body.results[0].id }).get().execute();
assert.deepEqual(oneMessage.body, history.body.results[0]);

// Delete: a stale version is a 409, the right one returns the customer.
const latest = afterReset.body.customer;
const conflict = await failure(api.customers().withId({ ID: customer.id }).delete({ queryArgs: { version: 1 } }));
assert.equal(conflict.statusCode, 409);
assert.equal(conflict.body.errors[0].code, 'ConcurrentModification');
assert.equal(conflict.body.errors[0].currentVersion, latest.version);
const deleted = await api.customers().withKey({ key }).delete({ queryArgs: { version: latest.version } }).execute();
assert.equal(deleted.statusCode, 200);
assert.equal(deleted.body.id, customer.id);
const gone = await failure(api.customers().withId({ ID: customer.id }).get());
assert.equal(gone.statusCode, 404);
assert.equal(gone.body.errors[0].code, 'ResourceNotFound');

// With its customer gone, the group can be deleted.
const groupDeleted = await api.customerGroups().withId({ ID: group.body.id }).delete({ queryArgs: { version: 2 } }).execute();
assert.equal(groupDeleted.statusCode, 200);

// So can the type.
const typeDeleted = await api.types().withKey({ key: typeKey }).delete({ queryArgs: { version: 3 } }).execute();
assert.equal(typeDeleted.statusCode, 200);

console.log('official SDK round trip: ok');

// The storefront journey with the official commercetools SDK (@commercetools/platform-sdk +
// @commercetools/ts-client), unchanged: only the hosts point at the local Worker. An anonymous
// session signs up (`me().signup()`), the password flow signs the shopper in, `me()` reads and
// updates the profile, changes the password, signs in again with the new one and deletes the
// account; then the same in a store (`inStoreKeyWithStoreKeyValue(...).me()`).
// Run by tests/api/sdk.rs with EDGE_API_URL set to the running `wrangler dev`.
import assert from 'node:assert/strict';
import { ClientBuilder } from '@commercetools/ts-client';
import { createApiBuilderFromCtpClient } from '@commercetools/platform-sdk';
import { failure } from './support.mjs';

const host = process.env.EDGE_API_URL;
assert.ok(host, 'EDGE_API_URL must point at the running Worker');
const projectKey = 'demo';
const credentials = { clientId: 'demo-storefront', clientSecret: 'demo-storefront-secret' };
const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e9)}`;

/** The project's API through a client built by `flow` (a ClientBuilder method) with `options`. */
function apiWith(flow, options) {
  const client = new ClientBuilder()
    .withProjectKey(projectKey)
    [flow]({ host, projectKey, httpClient: fetch, ...options })
    .withHttpMiddleware({ host, httpClient: fetch })
    .build();
  return createApiBuilderFromCtpClient(client).withProjectKey({ projectKey });
}

/** The shopper signed in through the password flow (the in-store flow for a store). */
function signedIn(email, password, storeKey) {
  const oauthUri = storeKey
    ? `/oauth/${projectKey}/in-store/key=${storeKey}/customers/token`
    : undefined;
  return apiWith('withPasswordFlow', {
    credentials: { ...credentials, user: { username: email, password } },
    ...(oauthUri ? { oauthUri } : {}),
  });
}

/** `me` of the project, or of a store. */
const meOf = (api, storeKey) => (storeKey ? api.inStoreKeyWithStoreKeyValue({ storeKey }).me() : api.me());

async function journey(storeKey) {
  const email = `sdk-me-${storeKey ?? 'global'}-${suffix}@example.com`;
  const anonymousId = `sdk-me-${storeKey ?? 'global'}-${suffix}`;
  const anonymous = apiWith('withAnonymousSessionFlow', { credentials: { ...credentials, anonymousId } });

  // Sign up from the anonymous session.
  const signup = await meOf(anonymous, storeKey)
    .signup()
    .post({ body: { email, password: 'first-pw', firstName: 'Sdk', addresses: [{ country: 'DE', key: 'home' }] } })
    .execute();
  assert.equal(signup.statusCode, 201);
  const customer = signup.body.customer;
  assert.equal(customer.email, email);
  assert.deepEqual(customer.stores, storeKey ? [{ typeId: 'store', key: storeKey }] : []);
  const again = await failure(
    meOf(anonymous, storeKey).signup().post({ body: { email: `again-${email}`, password: 'x' } }),
  );
  assert.equal(again.statusCode, 400);
  assert.equal(again.body.errors[0].code, 'AnonymousIdAlreadyInUse');

  // Signed in: read, update with two actions, refused actions.
  const shopper = signedIn(email, 'first-pw', storeKey);
  const me = await meOf(shopper, storeKey).get().execute();
  assert.equal(me.body.id, customer.id);
  const updated = await meOf(shopper, storeKey)
    .post({
      body: {
        version: me.body.version,
        actions: [
          { action: 'setLastName', lastName: 'Shopper' },
          { action: 'setDefaultShippingAddress', addressKey: 'home' },
        ],
      },
    })
    .execute();
  assert.equal(updated.statusCode, 200);
  assert.equal(updated.body.lastName, 'Shopper');
  assert.equal(updated.body.defaultShippingAddressId, updated.body.addresses[0].id);
  const refused = await failure(
    meOf(shopper, storeKey).post({ body: { version: updated.body.version, actions: [{ action: 'setKey', key: 'mine' }] } }),
  );
  assert.equal(refused.statusCode, 400);
  assert.equal(refused.body.errors[0].code, 'InvalidJsonInput');

  // Change the password: a wrong current one is refused, the right one ends the session.
  const wrong = await failure(
    meOf(shopper, storeKey)
      .password()
      .post({ body: { version: updated.body.version, currentPassword: 'nope', newPassword: 'second-pw' } }),
  );
  assert.equal(wrong.statusCode, 400);
  assert.equal(wrong.body.errors[0].code, 'InvalidCurrentPassword');
  const changed = await meOf(shopper, storeKey)
    .password()
    .post({ body: { version: updated.body.version, currentPassword: 'first-pw', newPassword: 'second-pw' } })
    .execute();
  assert.equal(changed.statusCode, 200);
  const login = await meOf(anonymous, storeKey).login().post({ body: { email, password: 'second-pw' } }).execute();
  assert.equal(login.body.customer.id, customer.id);

  // Signed in again with the new password: delete the account.
  const renewed = signedIn(email, 'second-pw', storeKey);
  const current = await meOf(renewed, storeKey).get().execute();
  assert.equal(current.body.version, changed.body.version);
  const deleted = await meOf(renewed, storeKey).delete({ queryArgs: { version: current.body.version } }).execute();
  assert.equal(deleted.statusCode, 200);
  assert.equal(deleted.body.id, customer.id);
  const gone = await failure(meOf(anonymous, storeKey).login().post({ body: { email, password: 'second-pw' } }));
  assert.equal(gone.statusCode, 400);
  assert.equal(gone.body.errors[0].code, 'InvalidCredentials');
}

await journey(undefined);
await journey(`sdk-me-store-${suffix}`);
console.log('official SDK storefront journey: ok');

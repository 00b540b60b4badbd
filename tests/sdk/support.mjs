// Shared by the SDK scripts of tests/sdk.
import assert from 'node:assert/strict';

/** Runs `request` and returns the error the SDK throws (it must throw). */
export async function failure(request) {
  try {
    await request.execute();
  } catch (error) {
    return error;
  }
  assert.fail('the request should have failed');
}

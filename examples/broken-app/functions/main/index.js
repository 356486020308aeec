'use strict';
// Broken App: the code is fine, the manifest is not. It declares runtime go1.x (AWS refuses to create
// go1.x functions) and a second function "worker" whose zip the bundle does not contain, so
// `apps-deployer validate` / `upload` refuse the bundle and `reconcile` rejects it.
exports.handler = async () => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ type: 'ok', text: 'unreachable: this bundle is never deployed' }),
});

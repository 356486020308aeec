/**
 * manifest-match.ts: adopt rewrites a manifest from the release bundle only when both say the same
 * to the Apps plugin; representation (Go's marshalling upstream) is tolerated, content is not.
 */
import { manifestDifferences } from '../../../src/adopt/manifest-match';

const bundled = {
  app_id: 'com.example.app',
  version: '1.0.0',
  display_name: 'App',
  homepage_url: 'https://example.com',
  icon: 'icon.png',
  requested_permissions: ['act_as_bot', 'act_as_user'],
  requested_locations: ['/command'],
  bindings: '/bindings',
  on_install: { path: '/install', expand: { app: 'all' } },
  aws_lambda: [{ path: '/', name: 'fn0', handler: 'index.handler', runtime: 'nodejs20.x' }],
  x_unknown: 'ignored by the plugin',
};

/** what upstream stores for it: json.Marshal of apps.Manifest */
const upstream = {
  app_id: 'com.example.app',
  version: '1.0.0',
  homepage_url: 'https://example.com',
  display_name: 'App',
  description: '',
  icon: 'icon.png',
  requested_permissions: ['act_as_user', 'act_as_bot'],
  requested_locations: ['/command'],
  bindings: { path: '/bindings' },
  on_install: { expand: { app: 'all' }, path: '/install' },
  on_uninstall: null,
  aws_lambda: { functions: [{ name: 'fn0', path: '/', runtime: 'nodejs20.x', handler: 'index.handler' }] },
};

describe('manifestDifferences', () => {
  it("tolerates upstream's representation: call shapes, empty fields, order, aws_lambda's shape, unknown fields", () => {
    expect(manifestDifferences(upstream, bundled)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['requested_permissions', { requested_permissions: ['act_as_bot', 'act_as_user', 'act_as_admin'] }],
    ['requested_locations', { requested_locations: ['/command', '/channel_header'] }],
    ['bindings', { bindings: '/other' }],
    ['on_install', { on_install: { path: '/install', expand: { app: 'none' } } }],
    ['homepage_url', { homepage_url: 'https://evil.example' }],
    [
      'aws_lambda',
      { aws_lambda: [{ path: '/x', name: 'fn0', handler: 'index.handler', runtime: 'nodejs20.x' }] },
    ],
    ['on_uninstall', { on_uninstall: '/uninstall' }],
  ])('names a difference in %s', (field, change) => {
    expect(manifestDifferences(upstream, { ...bundled, ...change })).toEqual([field]);
  });
});

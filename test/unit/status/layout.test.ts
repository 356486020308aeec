import { formatLayoutMoves, layoutMoves } from '../../../src/status/layout';

describe('layoutMoves', () => {
  const keys = [
    'bundles/com.b_2.0.zip',
    'bundles/com.a_1.0.zip',
    'bundles/com.c/com.c_1.0.zip',
    'bundles/notes.txt',
    'bundles/com.a/com.b_1.0.zip',
  ];

  it('per-app: lists the flat keys to move, with their new keys', () => {
    const moves = layoutMoves(keys, 'bundles/', 'per-app');
    expect(moves).toEqual([
      { appId: 'com.a', version: '1.0', from: 'bundles/com.a_1.0.zip', to: 'bundles/com.a/com.a_1.0.zip' },
      { appId: 'com.b', version: '2.0', from: 'bundles/com.b_2.0.zip', to: 'bundles/com.b/com.b_2.0.zip' },
    ]);
    expect(formatLayoutMoves(moves, 'per-app').join('\n')).toContain(
      'bundles/com.a_1.0.zip -> bundles/com.a/com.a_1.0.zip',
    );
  });

  it('flat: lists per-app keys; nothing to say when every key fits', () => {
    expect(layoutMoves(keys, 'bundles/', 'flat').map((m) => m.to)).toEqual(['bundles/com.c_1.0.zip']);
    expect(formatLayoutMoves(layoutMoves(['bundles/a.b_1.zip'], 'bundles/', 'flat'), 'flat')).toEqual([]);
  });
});

/**
 * The chart accepts every resource quantity Kubernetes accepts (values.schema.json's `quantity`, and
 * the template's 512Mi memory floor that reads them), and refuses what Kubernetes refuses. Each row is
 * rendered by the pinned helm. Kubernetes' grammar (k8s.io/apimachinery resource.Quantity):
 *   [+]( digits | digits.digits | digits. | .digits )( Ki..Ei | m | "" | k | M..E | e<int> | E<int> )
 * (a sign "-" parses too, but a negative resource request or limit is refused by the API server).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MINIMAL_VALUES, renderError, renderOk, schemaFields } from './helm';

const VALID = ['1', '0', '1.5', '.5', '1.', '+2', '200m', '1.5Gi', '2G', '2048M', '1Ki', '1Ti', '1Pi', '1Ei'];
const VALID_MORE = ['1k', '1E', '1e3', '1E3', '1e-3', '1e+9', '0.5Mi', '12345678901234'];
const INVALID = [
  '',
  '1Gb',
  '1gi',
  '1 Gi',
  'Gi',
  '-1',
  '-1Gi',
  '1.2.3',
  '1e',
  '1e1.5',
  '1KiB',
  '0x10',
  'one',
  '1mi',
  '1K',
];

describe('helm chart: Kubernetes quantities', () => {
  const minimal = ['-f', MINIMAL_VALUES];

  it.each([...VALID, ...VALID_MORE])('accepts %p as a quantity (resources.requests.cpu)', (q) => {
    renderOk([...minimal, '--set-string', `resources.requests.cpu=${q}`]);
  });

  it.each(INVALID)('refuses %p as a quantity (resources.requests.cpu)', (q) => {
    const err = renderError([...minimal, '--set-string', `resources.requests.cpu=${q}`]);
    expect(schemaFields(err)).toContain('/resources/requests/cpu');
  });

  it('accepts YAML numbers as quantities, as Kubernetes does (cpu: 1, memory: 1073741824)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chart-quantities-'));
    try {
      const file = path.join(dir, 'numbers.yaml');
      writeFileSync(
        file,
        'resources:\n  requests: { cpu: 0.5, memory: 402653184 }\n  limits: { memory: 1073741824 }\ntmp:\n  sizeLimit: 2e9\n',
      );
      renderOk([...minimal, '-f', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // the 512Mi floor of resources.limits.memory (536,870,912 bytes) in every notation
  it.each(['512Mi', '0.5Gi', '1.5Gi', '2G', '2048M', '536870912', '6e8', '1Ti', '+1Gi', '524288Ki'])(
    'accepts the memory limit %p (at least 512Mi)',
    (q) => {
      renderOk([...minimal, '--set-string', `resources.limits.memory=${q}`]);
    },
  );

  it.each(['511Mi', '500M', '0.4Gi', '5e8', '536870911', '256Mi', '1.'])(
    'refuses the memory limit %p (below 512Mi)',
    (q) => {
      const err = renderError([...minimal, '--set-string', `resources.limits.memory=${q}`]);
      expect(err).toContain(`resources.limits.memory ${q} is below 512Mi`);
    },
  );
});

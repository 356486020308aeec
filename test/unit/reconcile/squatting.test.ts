import { namesClash, squattedApp } from '../../../src/reconcile/squatting';
import { lambdaFunctionName } from '../../../src/bundle/names';

describe('namesClash', () => {
  it.each([
    ['com.x', 'com-x', true],
    ['com.x.y', 'com-x-y', true],
    ['a.b', 'a_b', false],
    ['app', 'app_b', true],
    ['app_b', 'app', true],
    ['app', 'apple', false],
    ['com.x', 'com.x', false],
    ['com.x', 'com.xy', false],
  ])('%s vs %s → %s', (a, b, clash) => {
    expect(namesClash(a, b)).toBe(clash);
  });

  it('the clashes it reports are real: the two apps can produce one Lambda name', () => {
    expect(lambdaFunctionName('com.x', '1.0', 'main').name).toBe(
      lambdaFunctionName('com-x', '1.0', 'main').name,
    );
    expect(lambdaFunctionName('app', 'b', '1_x').name).toBe(lambdaFunctionName('app_b', '1', 'x').name);
  });
});

describe('squattedApp', () => {
  const lookup = squattedApp(['com-x_1.0.0', 'com-x_2.0.0', 'app_b_1', 'other_3']);

  it('names the provisioned app whose names a new app id could take', () => {
    expect(lookup('com.x')).toBe('com-x');
    expect(lookup('app')).toBe('app_b');
    expect(lookup('app_b_c')).toBe('app_b');
  });

  it('leaves provisioned apps and unrelated app ids alone', () => {
    expect(lookup('com-x')).toBeUndefined();
    expect(lookup('app_b')).toBeUndefined();
    expect(lookup('com.y')).toBeUndefined();
    expect(lookup('others')).toBeUndefined();
  });
});

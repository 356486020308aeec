import { MAX_FUNCTION_ZIP_BYTES } from '../../../src/bundle/limits';
import { DiskBudget, reservationFor } from '../../../src/reconcile/disk-budget';

const tick = () => new Promise((r) => setImmediate(r));

describe('DiskBudget', () => {
  it('reserves the listed size plus one staged function zip', () => {
    expect(reservationFor(1000)).toBe(1000 + MAX_FUNCTION_ZIP_BYTES);
  });

  it('grants while there is room, then makes later reservations wait, first come first served', async () => {
    const budget = new DiskBudget(100);
    const a = await budget.reserve(60);
    const order: string[] = [];
    const b = budget.reserve(50).then((r) => (order.push('b'), r));
    const c = budget.reserve(10).then((r) => (order.push('c'), r));
    await tick();
    // c would fit, but b came first: a large reservation is not starved by small ones
    expect(order).toEqual([]);
    expect(budget.waiting).toBe(2);
    a();
    const [rb, rc] = await Promise.all([b, c]);
    expect(order).toEqual(['b', 'c']);
    expect(budget.available).toBe(40);
    rb();
    rb(); // idempotent
    rc();
    expect(budget.available).toBe(100);
  });

  it('clamps a reservation larger than the budget to all of it (that worker then runs alone)', async () => {
    const budget = new DiskBudget(100);
    const big = await budget.reserve(500);
    expect(budget.available).toBe(0);
    let granted = false;
    const small = budget.reserve(1).then((r) => ((granted = true), r));
    await tick();
    expect(granted).toBe(false);
    big();
    (await small)();
    expect(budget.available).toBe(100);
  });

  it('refuses a budget that is not a positive number', () => {
    expect(() => new DiskBudget(0)).toThrow(RangeError);
    expect(() => new DiskBudget(Number.NaN)).toThrow(RangeError);
  });
});

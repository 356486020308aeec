/**
 * Progress on a terminal: one line when the run knows its plan, one line per bundle as it starts and
 * as it finishes (✓ / ✗, app, version, outcome, duration). Workers run in parallel, so lines are
 * whole lines (never rewritten in place) and carry a [done/total] counter.
 */
import type { BundleReport, Plan, PlanAction, PlanItem, RunObserver } from '../types';
import { escapeTerminal as t } from '../../text/escape';
import { ACTIVE_ACTIONS, ACTION_LABELS, formatDuration, outcomeDetail } from './format';

/** The bundle a line is about, escaped for the terminal (app id, version and key come from a bundle). */
function who(x: { appId?: string; version?: string; releaseKey: string }): string {
  return x.appId ? t(`${x.appId} ${x.version ?? ''}`.trimEnd()) : t(x.releaseKey);
}

export class TtyProgressObserver implements RunObserver {
  private total = 0;
  private started = 0;
  private done = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  private write(line: string): void {
    this.out.write(`${line}\n`);
  }

  private counter(n: number): string {
    const width = String(this.total).length;
    return this.total > 0 ? `[${String(n).padStart(width)}/${this.total}] ` : '';
  }

  planned(plan: Plan): void {
    this.total = plan.items.filter((i) => ACTIVE_ACTIONS.has(i.action)).length;
    const counts = new Map<PlanAction, number>();
    for (const i of plan.items) counts.set(i.action, (counts.get(i.action) ?? 0) + 1);
    const others = [...counts]
      .filter(([a]) => !ACTIVE_ACTIONS.has(a))
      .map(([a, n]) => `${n} ${ACTION_LABELS[a]}`);
    const head =
      this.total === 0 ? 'nothing to do' : `${this.total} bundle${this.total === 1 ? '' : 's'} to process`;
    this.write(`reconcile ${t(plan.runId)}: ${head}${others.length ? ` (${others.join(', ')})` : ''}`);
  }

  bundleStarted(item: PlanItem): void {
    this.started += 1;
    this.write(`  … ${this.counter(this.started)}${who(item)}  ${ACTION_LABELS[item.action]}`);
  }

  bundleDone(report: BundleReport): void {
    const o = report.outcome;
    if (o.status === 'skipped') return;
    this.done += 1;
    const ok = o.status === 'provisioned' || o.status === 'identical';
    const detail = outcomeDetail(o);
    this.write(
      `  ${ok ? '✓' : '✗'} ${this.counter(this.done)}${who(report)}  ${o.status}` +
        `  ${formatDuration(report.durationMs)}${detail ? `  ${detail}` : ''}`,
    );
  }
}

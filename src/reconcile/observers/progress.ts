/**
 * Progress on a terminal: one line when the run knows its plan, one line per bundle when it finishes
 * (✓ / ✗, app, version, outcome, duration), and meanwhile one status line, rewritten in place, with
 * the bytes of the bundles being downloaded and of the uploads of their provisioning (function code,
 * static assets) as a progress bar. Only ever used on a TTY (createObservers decides); the run's
 * summary then adds the totals and the problems, not the bundles again.
 */
import type { BundleReport, BytesProgress, Plan, PlanAction, PlanItem, RunObserver } from '../types';
import { escapeTerminal as t } from '../../text/escape';
import { ACTIVE_ACTIONS, ACTION_LABELS, formatDuration, outcomeDetail } from './format';

/** The status line is redrawn at most this often (ms). */
export const PROGRESS_REDRAW_MS = 100;
const BAR_WIDTH = 20;

/** The bundle a line is about, escaped for the terminal (app id, version and key come from a bundle). */
function who(x: { appId?: string; version?: string; releaseKey: string }): string {
  return x.appId ? t(`${x.appId} ${x.version ?? ''}`.trimEnd()) : t(x.releaseKey);
}

/** 1536 → "1.5 KiB" */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** "[#######-------------]  35%  1.2 MiB / 3.4 MiB" */
export function formatBar(bytes: number, total: number): string {
  const share = total > 0 ? Math.min(1, bytes / total) : 0;
  const filled = Math.round(share * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  return `${bar} ${String(Math.round(share * 100)).padStart(3)}%  ${formatBytes(bytes)} / ${formatBytes(total)}`;
}

/**
 * One line at the bottom of a terminal, rewritten in place (\r, erase line); whole lines are written
 * above it with `line()`. Redraws are throttled; the final state is always drawn.
 */
export class StatusLine {
  private shown = false;
  private lastDraw = 0;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows `text` as the status line (skipped when the last redraw is too recent, unless `force`). */
  update(text: string, force = false): void {
    const t = this.now();
    if (!force && this.shown && t - this.lastDraw < PROGRESS_REDRAW_MS) return;
    this.lastDraw = t;
    this.shown = true;
    this.out.write(`\r\x1b[2K${text}`);
  }

  /** Removes the status line. */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  /** Writes a whole line above the status line. */
  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }
}

/** How a transfer is drawn: downloads ↓, uploads (function code, assets) ↑. */
const ARROW: Record<BytesProgress['step'], string> = { download: '↓', 'stage-code': '↑', asset: '↑' };

/**
 * Transfers in flight on one status line: the one that moved last is drawn, with "(+N more)" for the
 * others; a completed one is always drawn (100%), throttled ones are skipped (StatusLine). Transfers
 * of size 0 are not drawn.
 */
export class TransferBars {
  /** ids of the transfers not complete yet */
  private readonly active = new Set<string>();

  constructor(private readonly status: StatusLine) {}

  update(id: string, label: string, bytes: number, total: number): void {
    if (total <= 0) return;
    const complete = bytes >= total;
    if (complete) this.active.delete(id);
    else this.active.add(id);
    const others = this.active.size - (complete ? 0 : 1);
    const more = others > 0 ? `  (+${others} more)` : '';
    this.status.update(`${label}  ${formatBar(bytes, total)}${more}`, complete);
  }

  /** Forgets the transfers whose id starts with `prefix` (a bundle that finished or failed). */
  forget(prefix: string): void {
    for (const id of [...this.active]) if (id.startsWith(prefix)) this.active.delete(id);
  }
}

/** A provisioning upload's line ("  ↑ fn0.zip"), escaped (the entry's name comes from the bundle). */
export function uploadLabel(p: { step: BytesProgress['step']; entry?: string; resource?: string }): string {
  return `  ${ARROW[p.step]} ${t(p.entry ?? p.resource ?? '')}`;
}

export class TtyProgressObserver implements RunObserver {
  private total = 0;
  private done = 0;
  private readonly status: StatusLine;
  /** downloads and uploads in flight, by release key (and entry) */
  private readonly transfers: TransferBars;

  constructor(out: NodeJS.WritableStream, now?: () => number) {
    this.status = new StatusLine(out, now);
    this.transfers = new TransferBars(this.status);
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
    this.status.line(`reconcile ${t(plan.runId)}: ${head}${others.length ? ` (${others.join(', ')})` : ''}`);
  }

  bundleStarted(item: PlanItem): void {
    this.status.update(`  … ${this.counter(this.done)}${who(item)}  ${ACTION_LABELS[item.action]}`, true);
  }

  bundleBytes(progress: BytesProgress): void {
    const { item, step, entry } = progress;
    const what = step === 'download' ? '' : `  ${t(entry ?? step)}`;
    this.transfers.update(
      `${item.releaseKey}\n${entry ?? ''}`,
      `  ${ARROW[step]} ${this.counter(this.done)}${who(item)}${what}`,
      progress.bytes,
      progress.total,
    );
  }

  bundleDone(report: BundleReport): void {
    this.transfers.forget(`${report.releaseKey}\n`);
    const o = report.outcome;
    if (o.status === 'skipped') return;
    this.done += 1;
    const ok = o.status === 'provisioned' || o.status === 'identical';
    const detail = outcomeDetail(o);
    this.status.line(
      `  ${ok ? '✓' : '✗'} ${this.counter(this.done)}${who(report)}  ${o.status}` +
        `  ${formatDuration(report.durationMs)}${detail ? `  ${detail}` : ''}`,
    );
  }

  runDone(): void {
    this.status.clear();
  }
}

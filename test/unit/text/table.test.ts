/**
 * Plain-text tables: padding, and no argument-count limit (a `plan` or `status` of a large fleet
 * prints a row per version; `Math.max(...cells)` threw RangeError past ~125,000 rows).
 */
import { columnWidths, tableLines } from '../../../src/text/table';
import { renderTable } from '../../../src/reconcile/observers/format';

describe('tableLines', () => {
  it('pads every column but the last to its widest cell, two spaces apart', () => {
    expect(
      tableLines(
        [
          ['APP', 'VERSION', 'ACTION'],
          ['com.example.long', '1.0', 'provision'],
        ],
        '  ',
      ),
    ).toEqual(['  APP               VERSION  ACTION', '  com.example.long  1.0      provision']);
  });

  it('handles 300,000 rows (more than a call can take as arguments)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`app-${i}`, '1.0', 'up-to-date']);
    expect(columnWidths(rows)).toEqual(['app-299999'.length, 3, 10]);
    const text = renderTable(['APP', 'VERSION', 'ACTION'], rows);
    expect(text.split('\n')).toHaveLength(300_001);
  });
});

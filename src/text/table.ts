/**
 * Plain-text tables for the terminal: columns padded to their widest cell, two spaces apart, the last
 * column unpadded. Widths are computed with a loop: `Math.max(...cells)` passes every cell as an
 * argument and throws RangeError past ~125,000 rows (a `plan` or `status` of a large fleet).
 */

/** The width of each column: its widest cell (the header included, when rows[0] is one). */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      if (cell.length > (widths[i] ?? 0)) widths[i] = cell.length;
    });
  return widths;
}

/** The rows as lines, each cell but the last padded to its column's width. */
export function tableLines(rows: readonly (readonly string[])[], indent = ''): string[] {
  const widths = columnWidths(rows);
  return rows.map(
    (cells) =>
      indent +
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
  );
}

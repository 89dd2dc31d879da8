import type PDFDocument from 'pdfkit';

export type Pdf = InstanceType<typeof PDFDocument>;

export const FONT = 'Helvetica';
export const FONT_BOLD = 'Helvetica-Bold';
export const INK = '#1a1a1a';
export const RULE_GREY = '#c8c8c8';

export interface TableColumn {
  header: string;
  /** Points; the widths of a table should add up to the text width of the page. */
  width: number;
  align?: 'left' | 'right' | 'center';
}

export type TableRow =
  | { cells: string[]; colors?: (string | undefined)[] }
  /** A full-width label starting a group of rows, repeated with "(continued)" after a page break. */
  | { group: string; color?: string };

export interface TableOptions {
  columns: TableColumn[];
  rows: TableRow[];
  fontSizePt?: number;
}

const PAD_PT = 2.5;
/** The smallest size a cell's text is shrunk to so that its longest word fits its column. */
const MIN_FONT_PT = 5;

/**
 * The font size at which every word of `text` fits `width`: pdfkit breaks a word wider than its
 * line in the middle, which printed evidence must never do ("maxAgeMs 936" / "00000"). Text is
 * drawn at `sizePt` unless a word is too wide, then just small enough; words wider still at the
 * minimum size are rare (a pasted URL) and are left to pdfkit.
 */
export function fittingFontSize(doc: Pdf, text: string, width: number, sizePt: number): number {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return sizePt;
  doc.fontSize(sizePt);
  // pdfkit measures a word with the space after it when deciding to split it, so measure it so too.
  const widest = Math.max(...words.map((w) => doc.widthOfString(`${w} `)));
  if (widest <= width) return sizePt;
  return Math.max(MIN_FONT_PT, Math.floor(((sizePt * width) / widest) * 10) / 10);
}

/** Page space below the top margin and above the bottom one: the footer lives in the bottom margin. */
export function contentBottom(doc: Pdf): number {
  return doc.page.height - doc.page.margins.bottom;
}

export function textWidth(doc: Pdf): number {
  return doc.page.width - doc.page.margins.left - doc.page.margins.right;
}

/**
 * Draws a table from doc.y down, breaking to new pages with the header (and the current group
 * label) repeated, and never splitting a row across pages. Row heights come from the wrapped text,
 * so cell text must already be one-line safe (see pdfText) and bounded in length.
 */
export function drawTable(doc: Pdf, options: TableOptions): void {
  const { columns } = options;
  const fontSizePt = options.fontSizePt ?? 7.5;
  const left = doc.page.margins.left;
  const tableWidth = columns.reduce((sum, c) => sum + c.width, 0);
  let y = doc.y;
  let currentGroup: { group: string; color?: string } | null = null;

  // Sets the font size the cell is drawn at (see fittingFontSize) before measuring it.
  const cellHeight = (text: string, width: number, sizePt = fontSizePt) => {
    doc.fontSize(fittingFontSize(doc, text, width - 2 * PAD_PT, sizePt));
    const h = doc.heightOfString(text.length > 0 ? text : ' ', { width: width - 2 * PAD_PT }) + 2 * PAD_PT;
    doc.fontSize(sizePt);
    return h;
  };
  const fitCell = (text: string, width: number) =>
    doc.fontSize(fittingFontSize(doc, text, width - 2 * PAD_PT, fontSizePt));

  const headerHeight = () => {
    doc.font(FONT_BOLD).fontSize(fontSizePt);
    return Math.max(...columns.map((c) => cellHeight(c.header, c.width)));
  };

  const drawHeader = () => {
    const h = headerHeight();
    doc.rect(left, y, tableWidth, h).fill('#e9edf2');
    doc.fillColor(INK);
    let x = left;
    for (const c of columns) {
      fitCell(c.header, c.width);
      doc.text(c.header, x + PAD_PT, y + PAD_PT, { width: c.width - 2 * PAD_PT, align: c.align ?? 'left' });
      x += c.width;
    }
    doc.fontSize(fontSizePt);
    y += h;
  };

  const groupHeight = (label: string) => {
    doc.font(FONT_BOLD).fontSize(fontSizePt);
    return cellHeight(label, tableWidth) + PAD_PT;
  };

  const drawGroup = (label: string, color?: string) => {
    const h = groupHeight(label);
    doc
      .font(FONT_BOLD)
      .fontSize(fontSizePt)
      .fillColor(color ?? INK);
    doc.text(label, left + PAD_PT, y + PAD_PT * 2, { width: tableWidth - 2 * PAD_PT });
    y += h;
  };

  const dataHeight = (cells: string[]) => {
    doc.font(FONT).fontSize(fontSizePt);
    return Math.max(...columns.map((c, i) => cellHeight(cells[i] ?? '', c.width)));
  };

  const newPage = () => {
    doc.addPage();
    y = doc.page.margins.top;
    drawHeader();
    if (currentGroup) drawGroup(`${currentGroup.group} (continued)`, currentGroup.color);
  };

  // Start on a fresh page rather than leave a header stranded with no row under it.
  if (y + headerHeight() + 3 * fontSizePt > contentBottom(doc)) {
    doc.addPage();
    y = doc.page.margins.top;
  }
  drawHeader();

  for (const row of options.rows) {
    if ('group' in row) {
      // Keep a group label with at least its first row.
      if (y + groupHeight(row.group) + 3 * fontSizePt > contentBottom(doc)) {
        currentGroup = null;
        newPage();
      }
      currentGroup = row;
      drawGroup(row.group, row.color);
      continue;
    }
    const h = dataHeight(row.cells);
    if (y + h > contentBottom(doc)) newPage();
    doc.font(FONT).fontSize(fontSizePt);
    let x = left;
    columns.forEach((c, i) => {
      doc.fillColor(row.colors?.[i] ?? INK);
      fitCell(row.cells[i] ?? '', c.width);
      doc.text(row.cells[i] ?? '', x + PAD_PT, y + PAD_PT, {
        width: c.width - 2 * PAD_PT,
        align: c.align ?? 'left',
      });
      x += c.width;
    });
    doc.fontSize(fontSizePt);
    y += h;
    doc
      .moveTo(left, y)
      .lineTo(left + tableWidth, y)
      .lineWidth(0.3)
      .strokeColor(RULE_GREY)
      .stroke();
  }
  doc.fillColor(INK);
  doc.x = left;
  doc.y = y + fontSizePt;
}

import { beforeAll, describe, expect, it } from 'vitest';
import { pdfText, percentText } from '../../../hub-server/src/reports/format.ts';
import { councilEvidencePdf, FEED_ACCESS_NONE } from '../../../hub-server/src/reports/pdf.ts';
import {
  councilReport,
  HOSTILE_CAMERA_ID,
  NORTH,
  RULES,
  SOUTH,
  SOUTH_IDS,
} from '../../fixtures/reports/council-fixture.ts';
import { pdfPages } from '../../support/pdf-text.ts';

const north = councilReport(NORTH);

describe('councilEvidencePdf for a 60-camera council', () => {
  let pdf: Buffer;
  let pages: string[];
  let text: string;

  beforeAll(async () => {
    pdf = await councilEvidencePdf(north);
    pages = await pdfPages(pdf);
    text = pages.join('\n');
  });

  it('is a complete PDF file', () => {
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1').trimEnd().endsWith('%%EOF')).toBe(true);
  });

  it('is the same bytes every time for the same data', async () => {
    expect((await councilEvidencePdf(north)).equals(pdf)).toBe(true);
  });

  it('names the council, the period, the hub and who generated it', () => {
    expect(pages[0]).toContain(NORTH.name);
    expect(pages[0]).toContain('March 2025');
    expect(pages[0]).toContain('Vale Fire and Rescue CCTV Hub');
    expect(pages[0]).toContain('auditor (Jane Smith)');
    expect(pages[0]).toContain('It does not certify');
    expect(pages[0]).toContain('public-space-baseline@1');
    // The statement is printed whole, up to its last sentence.
    expect(pages[0]).toContain('the CSV exports give the same figures in UTC.');
  });

  it('shows every camera of the council and every rule, and nothing of the other council', () => {
    for (const camera of north.cameras) expect(text).toContain(camera.id);
    for (const rule of RULES) expect(text).toContain(rule.ruleId);
    for (const id of SOUTH_IDS) expect(text).not.toContain(id);
  });

  it('draws the hostile name as inert text, its line break a space', () => {
    // Whitespace is dropped before comparing: pdfjs splits text where a narrow cell wrapped it.
    const page = pages.find((p) => p.includes(HOSTILE_CAMERA_ID))?.replace(/\s+/g, '');
    expect(page).toContain('=HYPERLINK("http://x.invalid","Market,"North"Gate")');
  });

  it('paginates tables with the header repeated and groups continued', () => {
    expect(pages.length).toBeGreaterThan(10);
    const uptimePages = pages.filter((p) => p.includes('Degraded (h)'));
    expect(uptimePages.length).toBeGreaterThanOrEqual(2);
    // Every uptime page starts its table with the header, so each shows some camera ids under it.
    for (const p of uptimePages) expect(p).toMatch(/nv-cam-\d{3}/);
    const compliancePages = pages.filter((p) => p.includes('Threshold') && p.includes('Reason'));
    expect(compliancePages.length).toBeGreaterThanOrEqual(5);
    expect(text).toContain('(continued)');
  });

  it('numbers every page in its footer', () => {
    pages.forEach((p, i) => {
      expect(p).toContain(`Page ${i + 1} of ${pages.length}`);
    });
  });

  it('summarises the fleet, the clocks and the maintenance log', () => {
    expect(text).toContain('Fleet availability');
    expect(text).toContain('no code assigned');
    expect(text).toContain('Clock accuracy');
    expect(text).toContain('No clock readings in this period');
    expect(text).toContain('Town link upgrade: ISP replaces the fibre, "planned"');
    expect(text).toContain('2025-02-28 22:00 GMT');
    expect(text).toContain('8.000 (4x)');
  });

  it('lists the cameras commissioned on site and whether each met its purpose then', () => {
    const page = pages.slice(1).find((p) => p.includes('Commissioning on site')) ?? '';
    expect(page).toContain('Commissioning on site');
    expect(page).toMatch(/1 of \d+ cameras commissioned on site; 0 met their purpose when commissioned\./);
    expect(page).toContain('J. Installer');
    expect(page).toContain('166.3');
    expect(page).toContain('NO');
  });

  it('lists the feed sessions with their incident references, and the audit log verification', () => {
    const last = pages.slice(1).find((p) => p.includes('Feed-access summary')) ?? '';
    expect(last).toContain('Feed-access summary');
    expect(last).toContain('Audit log verified');
    expect(last).toContain('2 feed sessions in the period.');
    expect(last).toContain('INC-2025-0042');
    expect(last).toContain('INC-2026-0042');
    expect(last).toContain('(closed)');
    // Snapshots taken from the camera detail are listed with who took them and why.
    expect(last).toContain('1 snapshot (still pictures) taken in the period.');
    expect(last).toContain('Checking the view after a report of vandalism');
  });

  it('states its one evaluation time and the measured window in every figure section', () => {
    expect(pages[0]?.replace(/\s+/g, ' ')).toContain(
      'Evaluated at: 2025-04-02 09:15 BST (2025-04-02T08:15:00.000Z)',
    );
    for (const title of ['Uptime per camera', 'Compliance per camera and rule', 'Clock accuracy']) {
      const page = (pages.slice(1).find((p) => p.includes(title)) ?? '').replace(/\s+/g, ' ');
      expect(page).toContain(
        'Evaluated at 2025-04-02 09:15 BST over 2025-03-01 00:00 GMT to 2025-04-01 00:00 BST',
      );
    }
    pages.forEach((p) => {
      expect(p).toContain('evaluated 2025-04-02 09:15 BST');
    });
  });

  it('says that reading rules of a past period judge the readings the cameras had at its end', () => {
    const compliance = (
      pages.slice(1).find((p) => p.includes('Compliance per camera and rule')) ?? ''
    ).replace(/\s+/g, ' ');
    expect(compliance).toContain(
      "This period has ended: rules on readings judge the readings each camera had at its end (2025-03-31 23:59 BST), not today's",
    );
  });

  it('prints rule evidence in words and units, never as internal keys', () => {
    const compliance = pages.filter((p) => p.includes('Threshold') && p.includes('Reason')).join('\n');
    expect(compliance).toContain('readings used up to 2 h old');
    expect(compliance).toContain('measured per calendar month');
    // camelCase keys such as upMs, maxAgeMs or availabilityShare.
    expect(text).not.toMatch(/\b[a-z]+(?:Ms|Share|Days|Kbps|Px|Deg|At)\b/);
    expect(text).not.toMatch(/\b(?:upMs|maxAgeMs|minShare|offsetMs)\b/);
  });

  it('never breaks a word of rule evidence across lines', () => {
    // pdfjs gives each drawn line as its own item: a word cut mid-way shows up as two tokens.
    const tokens = new Set(text.split(/\s+/));
    const words = new Set<string>();
    for (const c of north.cameras) {
      for (const r of c.compliance?.results ?? []) {
        for (const cell of [r.title, r.value ?? '', r.threshold ?? '', r.reason]) {
          for (const w of pdfText(cell, 800).split(/\s+/)) if (w) words.add(w);
        }
      }
    }
    expect([...words].filter((w) => !tokens.has(w))).toEqual([]);
    expect(words.has('GMT0BST,M3.5.0/1,M10.5.0;')).toBe(true);
  });

  it('prints the same availability in the uptime table and in the availability rule', () => {
    const camera = north.cameras.find((c) => c.compliance?.results[0]?.status !== 'not_evaluable');
    const rule = camera?.compliance?.results.find((r) => r.ruleId === 'availability');
    const figure = `availability ${percentText(camera?.uptime.availability ?? null)}`;
    expect(rule?.value).toContain(figure);
    expect(text.replace(/\s+/g, ' ')).toContain(figure);
  });

  it('ends with a summary per Code principle', () => {
    const last = pages.at(-1) ?? '';
    expect(last).toContain('Summary by Code principle');
    expect(last).toMatch(/11\. Used effectively, images of evidential value: evidence (partial|complete)/);
    expect(last).toContain('statement of purpose and operational requirement');
    expect(last).toContain('clock-offset:');
  });
});

describe('councilEvidencePdf for a small council', () => {
  it('contains its own cameras and none of the other council', async () => {
    const south = councilReport(SOUTH);
    const text = (await pdfPages(await councilEvidencePdf(south))).join('\n');
    expect(text).toContain(SOUTH.name);
    for (const camera of south.cameras) expect(text).toContain(camera.id);
    expect(text).not.toContain(NORTH.name);
    expect(text).not.toMatch(/nv-cam-\d{3}/);
  });
});

describe('councilEvidencePdf for a council with no cameras yet', () => {
  it('still builds every section, with empty tables', async () => {
    const empty = {
      ...councilReport(SOUTH),
      cameras: [],
      maintenance: [],
      feedAccess: { sessions: [], snapshots: [], chain: { ok: false, message: 'entry 3 was altered' } },
    };
    const pages = await pdfPages(await councilEvidencePdf(empty));
    const text = pages.join('\n');
    expect(text).toContain('Fleet availability');
    expect(text).toContain('n/a');
    expect(text).toContain('No maintenance windows were declared for this period.');
    const feeds = pages.slice(1).find((p) => p.includes('Feed-access summary')) ?? '';
    expect(feeds).toContain(FEED_ACCESS_NONE);
    expect(feeds).toContain('AUDIT LOG FAILS VERIFICATION: entry 3 was altered');
    // With no code assigned anywhere, every principle rests on council records or is missing.
    expect(pages.at(-1)).toContain('Summary by Code principle');
    expect(pages.at(-1)).toContain('MISSING');
  });
});

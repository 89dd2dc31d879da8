import type { PublicText } from '../../../src/public-page/text-en.ts';
import type { PublicPageData } from '../../../src/schemas/public-page.ts';
import { csvDocument, num } from '../reports/csv-writer.ts';

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page shell: the dashboard build's council-page.html (its stylesheet and map script, with
 * hashed names) when built, else a plain one without the map. `<!--title-->`, `<!--lang-->` and
 * `<!--content-->` are filled in.
 */
export const FALLBACK_SHELL = `<!doctype html>
<html lang="<!--lang-->">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title><!--title--></title>
  </head>
  <body>
    <!--content-->
  </body>
</html>`;

export function fillShell(shell: string, lang: string, title: string, content: string): string {
  return shell
    .replace('<!--lang-->', esc(lang))
    .replace(/<html lang="[^"]*">/, `<html lang="${esc(lang)}">`)
    .replace('<!--title-->', esc(title))
    .replace('<!--content-->', content);
}

/** Text with line breaks as paragraphs. */
function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${esc(p.trim()).replace(/\n/g, '<br />')}</p>`)
    .join('');
}

/** Server-rendered, so it reads (and is indexed) without scripts; the script only adds the map. */
export function renderPublicPage(data: PublicPageData, t: PublicText, shell: string): string {
  const c = data.certification;
  const purposes = (list: readonly string[]) => list.map((p) => t.purposeWords[p] ?? p).join('; ');
  const rows = data.places
    .map(
      (p) =>
        `<tr><th scope="row">${p.name ? `${esc(p.name)}<br />` : ''}<span class="coords">${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}</span></th><td>${p.cameras}</td><td>${esc(purposes(p.purposes))}</td></tr>`,
    )
    .join('');
  const base = `/public/councils/${encodeURIComponent(data.council.id)}`;
  const content = `<a class="skip-link" href="#main">${esc(t.skip)}</a>
<main id="main" class="public-page" data-council="${esc(data.council.id)}">
  <h1>${esc(t.title(data.council.name))}</h1>
  <p class="lede">${esc(t.intro(data.council.name, data.cameraCount))}</p>
  <section aria-labelledby="purpose-heading">
    <h2 id="purpose-heading">${esc(t.purposeHeading)}</h2>
    ${paragraphs(data.purpose)}
  </section>
  <section aria-labelledby="responsible-heading">
    <h2 id="responsible-heading">${esc(t.responsibleHeading)}</h2>
    <dl class="facts">
      <dt>${esc(t.responsibleBody)}</dt><dd>${esc(data.responsibleBody)}</dd>
      <dt>${esc(t.contact)}</dt><dd>${esc(data.contact)}</dd>
      <dt>${esc(t.lastReview)}</dt><dd>${data.lastReviewAt ? `<time datetime="${esc(data.lastReviewAt)}">${esc(t.date(data.lastReviewAt))}</time>` : esc(t.notReviewed)}</dd>
    </dl>
  </section>
  <section aria-labelledby="where-heading">
    <h2 id="where-heading">${esc(t.whereHeading)}</h2>
    <p>${esc(t.positions(data.positionsTo))}</p>
    <div id="public-map" class="public-map" role="region" aria-label="${esc(t.mapLabel(data.council.name))}"></div>
    <div class="table-scroll">
      <table class="places">
        <caption>${esc(t.placesCaption)}</caption>
        <thead><tr><th scope="col">${esc(t.placeColumn)}</th><th scope="col">${esc(t.camerasColumn)}</th><th scope="col">${esc(t.purposeColumn)}</th></tr></thead>
        <tbody>${rows}</tbody>
      </table>
    </div>
  </section>
  <section aria-labelledby="certification-heading">
    <h2 id="certification-heading">${esc(t.certificationHeading)}</h2>
    <dl class="facts">
      <dt>${esc(t.codes)}</dt><dd>${c.codes.length > 0 ? esc(c.codes.join(', ')) : esc(t.noCode)}</dd>
      <dt>${esc(t.status)}</dt><dd class="status status-${esc(c.status)}">${esc(t.statusWords[c.status])}</dd>
    </dl>
    <p>${esc(t.statusCounts(c.counts))}. ${esc(t.evaluatedAt(c.evaluatedAt))}</p>
  </section>
  <section aria-labelledby="availability-heading">
    <h2 id="availability-heading">${esc(t.availabilityHeading)}</h2>
    <p class="figure">${esc(t.availability(data.availability))}</p>
    <p>${esc(t.availabilityCounts)}</p>
  </section>
  <section aria-labelledby="data-heading">
    <h2 id="data-heading">${esc(t.dataHeading)}</h2>
    <p>${esc(t.downloads)}:</p>
    <ul>
      <li><a href="${base}/cameras.csv" download>${esc(t.csv)}</a></li>
      <li><a href="${base}/cameras.geojson" download>${esc(t.geojson)}</a></li>
    </ul>
    <p>${esc(t.licence)}: <a href="${esc(data.licence.url)}" rel="license">${esc(data.licence.name)}</a></p>
  </section>
  <footer><p>${esc(t.computed(data.computedAt))}</p></footer>
</main>`;
  return fillShell(shell, t.lang, t.title(data.council.name), content);
}

export function renderNotFound(t: PublicText, shell: string): string {
  return fillShell(
    shell,
    t.lang,
    t.notFoundTitle,
    `<main id="main" class="public-page"><h1>${esc(t.notFoundTitle)}</h1><p>${esc(t.notFound)}</p></main>`,
  );
}

export function renderIndex(
  councils: readonly { id: string; name: string }[],
  t: PublicText,
  shell: string,
): string {
  const list =
    councils.length === 0
      ? `<p>${esc(t.indexEmpty)}</p>`
      : `<ul>${councils.map((c) => `<li><a href="/public/councils/${encodeURIComponent(c.id)}">${esc(c.name)}</a></li>`).join('')}</ul>`;
  return fillShell(
    shell,
    t.lang,
    t.indexTitle,
    `<main id="main" class="public-page"><h1>${esc(t.indexTitle)}</h1><p>${esc(t.indexIntro)}</p>${list}</main>`,
  );
}

/** The downloads: one row or feature per place, with the licence. */
export function placesCsv(data: PublicPageData): Buffer {
  return csvDocument(
    ['latitude', 'longitude', 'cameras', 'name', 'purposes', 'positions_to_m', 'licence', 'computed_at'],
    data.places.map((p) => [
      num(String(p.lat)),
      num(String(p.lon)),
      num(String(p.cameras)),
      p.name,
      p.purposes.join(';'),
      num(String(data.positionsTo)),
      data.licence.id,
      data.computedAt,
    ]),
  );
}

export function placesGeoJson(data: PublicPageData): object {
  return {
    type: 'FeatureCollection',
    name: `${data.council.name} CCTV camera places`,
    licence: data.licence,
    computedAt: data.computedAt,
    positionsToM: data.positionsTo,
    features: data.places.map((p) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
      properties: { cameras: p.cameras, name: p.name, purposes: p.purposes },
    })),
  };
}

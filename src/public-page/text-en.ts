import type { PublicPageData } from '../schemas/public-page.ts';

// Every word of a council's public CCTV page in English, in one place: another language is another
// file of this shape (PublicText), chosen where the page is rendered.

const percent = (share: number) =>
  `${(share * 100).toFixed(share >= 0.9995 && share < 1 ? 3 : 2).replace(/\.?0+$/, '')}%`;
const date = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/London',
  });
const dateTime = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/London',
    timeZoneName: 'short',
  });
const month = (iso: string) =>
  new Date(iso).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'Europe/London' });

export const EN = {
  lang: 'en-GB',
  title: (council: string) => `Public CCTV in ${council}`,
  intro: (council: string, n: number) =>
    `${council} runs ${n} public-space CCTV camera${n === 1 ? '' : 's'}. This page says where they are, why, who is responsible and how the scheme performs, as the Surveillance Camera Code of Practice asks.`,
  skip: 'Skip to the content',
  purposeHeading: 'Why the cameras are there',
  responsibleHeading: 'Who is responsible',
  responsibleBody: 'Responsible body',
  contact: 'Contact',
  lastReview: 'Last review of the scheme',
  notReviewed: 'No review recorded yet',
  whereHeading: 'Where the cameras are',
  positions: (metres: number) =>
    metres > 0
      ? `Positions are shown to the nearest ${metres} metres: each mark stands for the cameras in that square.`
      : 'Positions are shown as surveyed.',
  mapLabel: (council: string) =>
    `Map of the places of ${council}'s cameras (the table below lists the same places)`,
  placesCaption: 'Camera places',
  placeColumn: 'Place (latitude, longitude)',
  camerasColumn: 'Cameras',
  purposeColumn: 'Used to',
  purposeWords: {
    monitor: 'monitor crowds and traffic',
    detect: 'detect that something is happening',
    observe: 'observe people and events',
    recognise: 'recognise people known to the viewer',
    identify: 'identify people',
  } as Record<string, string>,
  certificationHeading: 'Certification',
  codes: 'Code of practice evaluated against',
  noCode: 'Not evaluated yet',
  status: 'Current status',
  statusWords: {
    met: 'Met: every camera passes every rule',
    met_with_warnings: 'Met, with warnings on some cameras',
    not_fully_assessed: 'Not fully assessed: some cameras could not be evaluated',
    not_met: 'Not met: some cameras fail a rule',
    not_evaluated: 'Not evaluated yet',
  } satisfies Record<PublicPageData['certification']['status'], string>,
  statusCounts: (c: PublicPageData['certification']['counts']) =>
    `${c.pass} passing, ${c.warn} with warnings, ${c.fail} failing, ${c.not_evaluable} not evaluable`,
  evaluatedAt: (iso: string | null) => (iso ? `Evaluated ${dateTime(iso)}.` : ''),
  availabilityHeading: 'Availability over the last 12 months',
  availability: (data: PublicPageData['availability']) =>
    data.share === null
      ? `No monitored time from ${month(data.from)} to ${month(new Date(Date.parse(data.to) - 1).toISOString())}.`
      : `${percent(data.share)} from ${month(data.from)} to ${month(new Date(Date.parse(data.to) - 1).toISOString())}.`,
  availabilityCounts:
    'This is the share of the time the cameras were seen working while the monitoring service could see them. Time when the monitoring service itself could not see a camera is not counted against it.',
  dataHeading: 'Open data',
  downloads: 'Download the camera places',
  csv: 'as CSV (spreadsheet)',
  geojson: 'as GeoJSON (maps and GIS)',
  licence: 'Licence',
  computed: (iso: string) => `Figures computed ${dateTime(iso)}.`,
  notFoundTitle: 'Page not found',
  notFound: 'There is no public CCTV page here. The council may not have published one.',
  indexTitle: 'Public CCTV pages',
  indexIntro: 'Councils whose public-space CCTV this hub monitors, and that publish a page about it:',
  indexEmpty: 'No council publishes a page yet.',
  date,
};
export type PublicText = typeof EN;

// Plain constants (no TypeBox), shared by the hub's schemas and the dashboard bundle.

/** Open licences a council may publish its camera data under. */
export const LICENCES = {
  'OGL-UK-3.0': {
    name: 'Open Government Licence v3.0',
    url: 'https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/',
  },
  'CC-BY-4.0': {
    name: 'Creative Commons Attribution 4.0',
    url: 'https://creativecommons.org/licenses/by/4.0/',
  },
  'CC0-1.0': {
    name: 'CC0 1.0 Public Domain Dedication',
    url: 'https://creativecommons.org/publicdomain/zero/1.0/',
  },
  'ODbL-1.0': {
    name: 'Open Data Commons Open Database Licence 1.0',
    url: 'https://opendatacommons.org/licenses/odbl/1-0/',
  },
} as const;
export type LicenceId = keyof typeof LICENCES;

export const COARSEN_STEPS = [0, 100, 250, 500, 1000] as const;

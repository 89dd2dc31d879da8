/*
 * The twelve guiding principles of the Surveillance Camera Code of Practice (Home Office, 2013,
 * amended 2021), paraphrased in short form for reports. Rules name the principles they evidence;
 * what the hub cannot measure is named here as the council record that evidences it instead.
 */

export interface Principle {
  number: number;
  /** A short paraphrase of the principle for tables. */
  title: string;
  /**
   * What a council holds to evidence the principle where no monitoring rule can, or besides one.
   * Null where the hub's measurements are the evidence.
   */
  councilRecord: string | null;
}

export const PRINCIPLES: readonly Principle[] = [
  {
    number: 1,
    title: 'Specified purpose, legitimate aim, pressing need',
    councilRecord: 'statement of purpose and operational requirement for each camera',
  },
  {
    number: 2,
    title: 'Effect on privacy considered, use reviewed regularly',
    councilRecord: 'data protection impact assessment and its reviews',
  },
  {
    number: 3,
    title: 'Transparency, published contact point',
    councilRecord: 'signage and a published contact point for information requests and complaints',
  },
  {
    number: 4,
    title: 'Clear responsibility and accountability',
    councilRecord: 'named senior responsible officer and system manager',
  },
  {
    number: 5,
    title: 'Clear rules, policies and procedures',
    councilRecord: 'operating policies and procedures, and staff training records',
  },
  {
    number: 6,
    title: 'No more images stored than needed, deleted when done',
    councilRecord: 'declared retention period and deletion policy',
  },
  {
    number: 7,
    title: 'Access restricted, defined, disclosures recorded',
    councilRecord: 'access and disclosure policy; disclosures made outside the hub',
  },
  {
    number: 8,
    title: 'Approved operational, technical and competency standards met',
    councilRecord: 'staff competency records',
  },
  {
    number: 9,
    title: 'Images safeguarded against unauthorised access and use',
    councilRecord: 'security policy of the control room and recorders',
  },
  {
    number: 10,
    title: 'Effective review and audit, regular reports',
    councilRecord: 'annual review and its published report',
  },
  {
    number: 11,
    title: 'Used effectively, images of evidential value',
    councilRecord: null,
  },
  {
    number: 12,
    title: 'Reference databases for matching accurate and current',
    councilRecord: 'only where the scheme matches against a reference database (ANPR, face recognition)',
  },
];

export function principle(number: number): Principle | undefined {
  return PRINCIPLES.find((p) => p.number === number);
}

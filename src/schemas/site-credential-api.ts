import { type Static, Type } from '@sinclair/typebox';
import { Id, IsoTime } from './common.ts';

const closed = { additionalProperties: false } as const;

/** A site's MQTT credential as listed: never the password, which only its issue response carries. */
export const SiteMqttCredentialView = Type.Object(
  {
    siteId: Id,
    username: Type.String({ description: 'MQTT user name: the site id' }),
    issuedAt: IsoTime,
    issuedBy: Type.String({ description: 'Hub operator who issued or last rotated it' }),
    rotations: Type.Integer({ minimum: 0, description: 'Times it was replaced since first issued' }),
  },
  closed,
);
export type SiteMqttCredentialView = Static<typeof SiteMqttCredentialView>;

export const SiteMqttCredentialIssued = Type.Object(
  {
    ...SiteMqttCredentialView.properties,
    password: Type.String({
      description:
        'The new password, shown this once (the hub keeps only a hash); the previous one stops working',
    }),
  },
  closed,
);
export type SiteMqttCredentialIssued = Static<typeof SiteMqttCredentialIssued>;

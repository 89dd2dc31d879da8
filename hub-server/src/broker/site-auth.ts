import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { isAlertsFilter, isOwnRequestFilter, isOwnSiteTopic, TOPIC_ROOT } from '../../../src/topics.ts';
import { verifyMqttPassword } from '../auth/mqtt-password.ts';

export type SiteAuthMode = 'enforce' | 'off';

/** Who a connection is: the hub's own ingest client, or one site (its user name is its id). */
export type MqttIdentity = { kind: 'hub' } | { kind: 'alerts-reader' } | { kind: 'site'; siteId: string };

/** Finds a site's stored password hash; null if the site has no credential. */
export type SiteHashLookup = (siteId: string) => Promise<string | null>;

export interface MqttAuthStats {
  mode: SiteAuthMode;
  connectRefused: {
    noCredentials: number;
    unknownUser: number;
    badPassword: number;
    clientId: number;
    notReady: number;
  };
  publishRefused: number;
  subscribeRefused: number;
}

export type ConnectDecision =
  | { ok: true; identity: MqttIdentity | null }
  | { ok: false; reason: keyof MqttAuthStats['connectRefused'] };

/** The hub's own identity on the embedded broker: a user name no site id can take (ids are slugs). */
export const HUB_INTERNAL_USERNAME = '_hub';
/** The alert consumers' user name (Node-RED, Home Assistant): reads cctv/v1/alerts/# and nothing else. */
export const ALERTS_READER_USERNAME = '_alerts';

function sameSecret(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The embedded broker's access rules (DESIGN, Security): a site connects with its own id and
 * password, publishes only under `cctv/v1/site/{its id}/` and subscribes only to its own request
 * topics; the hub (internal credential) reads everything. Refusals are counted and logged with the
 * client id, user name and topic, never a password.
 */
export class SiteAuthPolicy {
  readonly stats: MqttAuthStats;
  private lookup: SiteHashLookup | null = null;

  constructor(
    private readonly options: {
      mode: SiteAuthMode;
      hubPassword: Buffer;
      /** Password of the alert consumers' user; null: that user cannot connect. */
      alertsReaderPassword?: Buffer | null;
      log: Logger;
    },
  ) {
    this.stats = {
      mode: options.mode,
      connectRefused: { noCredentials: 0, unknownUser: 0, badPassword: 0, clientId: 0, notReady: 0 },
      publishRefused: 0,
      subscribeRefused: 0,
    };
  }

  /** Credentials live in the database, which starts after the broker; sites are refused until then. */
  attachStore(lookup: SiteHashLookup): void {
    this.lookup = lookup;
  }

  async authenticate(
    clientId: string,
    username: string | undefined,
    password: Buffer | undefined,
  ): Promise<ConnectDecision> {
    if (this.options.mode === 'off') return { ok: true, identity: null };
    const refuse = (reason: keyof MqttAuthStats['connectRefused']): ConnectDecision => {
      this.stats.connectRefused[reason]++;
      this.options.log.warn({ clientId, username: username ?? null, reason }, 'mqtt connection refused');
      return { ok: false, reason };
    };
    if (!username || !password) return refuse('noCredentials');
    if (username === HUB_INTERNAL_USERNAME) {
      return sameSecret(password, this.options.hubPassword)
        ? { ok: true, identity: { kind: 'hub' } }
        : refuse('badPassword');
    }
    if (username === ALERTS_READER_USERNAME) {
      const expected = this.options.alertsReaderPassword;
      return expected && sameSecret(password, expected)
        ? { ok: true, identity: { kind: 'alerts-reader' } }
        : refuse(expected ? 'badPassword' : 'unknownUser');
    }
    if (!this.lookup) return refuse('notReady');
    const hash = await this.lookup(username);
    if (hash === null) return refuse('unknownUser');
    if (!(await verifyMqttPassword(password.toString('utf8'), hash))) return refuse('badPassword');
    // A site may not take over another client's session (same client id disconnects the holder).
    if (clientId !== `site-${username}` && !clientId.startsWith(`site-${username}.`))
      return refuse('clientId');
    return { ok: true, identity: { kind: 'site', siteId: username } };
  }

  canPublish(identity: MqttIdentity | null, clientId: string, topic: string): boolean {
    if (this.options.mode === 'off') return true;
    const ok =
      identity?.kind === 'hub'
        ? topic.startsWith(`${TOPIC_ROOT}/`) &&
          (topic.split('/')[4] === 'request' || topic.startsWith(`${TOPIC_ROOT}/alerts/`))
        : identity?.kind === 'site' && isOwnSiteTopic(identity.siteId, topic);
    if (!ok) {
      this.stats.publishRefused++;
      this.options.log.warn({ clientId, identity, topic: topic.slice(0, 200) }, 'mqtt publish refused');
    }
    return ok;
  }

  canSubscribe(identity: MqttIdentity | null, clientId: string, filter: string): boolean {
    if (this.options.mode === 'off') return true;
    const ok =
      identity?.kind === 'hub' ||
      (identity?.kind === 'site' && isOwnRequestFilter(identity.siteId, filter)) ||
      (identity?.kind === 'alerts-reader' && isAlertsFilter(filter));
    if (!ok) {
      this.stats.subscribeRefused++;
      this.options.log.warn({ clientId, identity, filter: filter.slice(0, 200) }, 'mqtt subscribe refused');
    }
    return ok;
  }
}

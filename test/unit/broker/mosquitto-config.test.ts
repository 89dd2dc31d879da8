import { describe, expect, it } from 'vitest';
import {
  hashMqttPassword,
  isMqttPasswordHash,
  verifyMqttPassword,
} from '../../../hub-server/src/auth/mqtt-password.ts';
import {
  brokerInflightFor,
  buildMosquittoConfig,
  DEFAULT_MAX_PACKET_BYTES,
  MosquittoConfigError,
  mosquittoAcl,
  mosquittoBridges,
} from '../../../hub-server/src/broker/mosquitto-config.ts';
import { HubConfig } from '../../../src/config/hub-config.ts';
import { defaultsOf } from '../../../src/config/resolve.ts';
import { isOwnRequestFilter, isOwnSiteTopic } from '../../../src/topics.ts';

// Written by mosquitto_passwd 2.0 (`-b -c file alice secret123`): the format the hub must produce.
const MOSQUITTO_LINE =
  'alice:$7$101$b+hVBEqPOJ2ehang$DPliKgnANFoVoxoGfFcfmXp4vlxsXZHHfj6COovsEtfcdeD/lMhsmYsXOOiNONaRz56JSPmkYboTuj0Me8I7Xw==';
const paths = { passwordFile: '/etc/cctv/passwords', aclFile: '/etc/cctv/acl' };

describe('Mosquitto password hashes', () => {
  it("verifies a hash written by Mosquitto's own tool", async () => {
    const hash = MOSQUITTO_LINE.slice('alice:'.length);
    expect(isMqttPasswordHash(hash)).toBe(true);
    expect(await verifyMqttPassword('secret123', hash)).toBe(true);
    expect(await verifyMqttPassword('secret124', hash)).toBe(false);
  });

  it('writes $7$ hashes with a 12-byte salt and a 64-byte PBKDF2-SHA512 key', async () => {
    const hash = await hashMqttPassword('pw');
    const [, seven, iterations, salt, key] = hash.split('$');
    expect(seven).toBe('7');
    expect(Number(iterations)).toBeGreaterThanOrEqual(101);
    expect(Buffer.from(salt as string, 'base64')).toHaveLength(12);
    expect(Buffer.from(key as string, 'base64')).toHaveLength(64);
    expect(await verifyMqttPassword('pw', hash)).toBe(true);
    expect(await verifyMqttPassword('pw ', hash)).toBe(false);
    expect(await hashMqttPassword('pw')).not.toBe(hash);
  });

  it.each([['scrypt$16384$8$1$a$b'], ['$6$salt$hash'], ['$7$$c2FsdA==$aGFzaA=='], ['']])(
    'rejects a stored value that is not a $7$ hash: %s',
    async (stored) => {
      expect(isMqttPasswordHash(stored)).toBe(false);
      expect(await verifyMqttPassword('anything', stored)).toBe(false);
    },
  );
});

describe('Mosquitto configuration', () => {
  const hub = { username: 'cctv-hub', passwordHash: MOSQUITTO_LINE.slice('alice:'.length) };
  const sites = [
    { siteId: 'penzance', passwordHash: hub.passwordHash },
    { siteId: 'st-ives', passwordHash: hub.passwordHash },
  ];

  it('writes one password line per user, hub first', () => {
    const files = buildMosquittoConfig({ hub, sites, listener: { host: '127.0.0.1', port: 1883 } }, paths);
    expect(files.passwordFile.trimEnd().split('\n')).toEqual([
      `cctv-hub:${hub.passwordHash}`,
      `penzance:${hub.passwordHash}`,
      `st-ives:${hub.passwordHash}`,
    ]);
  });

  it('lets each site write its own topics and read only its own requests, and the alert reader read alerts only', () => {
    const rules = mosquittoAcl('cctv-hub', ['penzance', 'st-ives'])
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(rules).toEqual([
      'user cctv-hub',
      'topic read cctv/v1/site/+/#',
      'topic write cctv/v1/site/+/request/#',
      'topic write cctv/v1/alerts/#',
      'topic write cctv/federation/out/#',
      'topic read cctv/federation/in/#',
      'user _alerts',
      'topic read cctv/v1/alerts/#',
      'user penzance',
      'topic write cctv/v1/site/penzance/#',
      'topic read cctv/v1/site/penzance/request/#',
      'user st-ives',
      'topic write cctv/v1/site/st-ives/#',
      'topic read cctv/v1/site/st-ives/request/#',
    ]);
  });

  it("lets a linked hub's bridge write under its own link topic only, as a user no site can be", () => {
    const rules = mosquittoAcl('cctv-hub', ['penzance'], ['west-cornwall'])
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(rules.slice(rules.indexOf('user bridge.west-cornwall'))).toEqual([
      'user bridge.west-cornwall',
      'topic write cctv/federation/in/west-cornwall/#',
      'user penzance',
      'topic write cctv/v1/site/penzance/#',
      'topic read cctv/v1/site/penzance/request/#',
    ]);
    expect(() => mosquittoAcl('cctv-hub', [], ['West Cornwall\ntopic write #'])).toThrow(
      MosquittoConfigError,
    );
  });

  it('writes a TLS bridge per peer that carries only its share, renamed to this hub, and nothing back', () => {
    const text = mosquittoBridges([
      {
        self: 'west-cornwall',
        peer: 'devon-cornwall',
        host: 'force-broker.example',
        port: 8883,
        caFile: '/etc/cctv/force-ca.pem',
        password: 'a-long-bridge-password',
      },
    ]);
    const lines = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(lines).toEqual([
      'connection cctv-west-cornwall-to-devon-cornwall',
      'address force-broker.example:8883',
      'bridge_protocol_version mqttv311',
      'remote_clientid cctv-bridge-west-cornwall',
      'remote_username bridge.west-cornwall',
      'remote_password a-long-bridge-password',
      'bridge_cafile /etc/cctv/force-ca.pem',
      'bridge_insecure false',
      'cleansession true',
      'notifications false',
      'restart_timeout 1 10',
      'topic # out 1 cctv/federation/out/devon-cornwall/ cctv/federation/in/west-cornwall/',
    ]);
    expect(() =>
      mosquittoBridges([
        { self: 'a', peer: 'b', host: 'h', port: 8883, caFile: '/ca.pem', password: 'pw\nconnection evil' },
      ]),
    ).toThrow(MosquittoConfigError);
    expect(mosquittoBridges([])).toBe('');
  });

  it('turns authentication and the ACL on in the conf snippet', () => {
    const { conf } = buildMosquittoConfig({ hub, sites, listener: { host: '0.0.0.0', port: 8883 } }, paths);
    expect(conf).toContain('listener 8883 0.0.0.0\n');
    expect(conf).toContain('allow_anonymous false\n');
    expect(conf).toContain(`password_file ${paths.passwordFile}\n`);
    expect(conf).toContain(`acl_file ${paths.aclFile}\n`);
  });

  const tls = {
    listener: { host: '0.0.0.0', port: 8883 },
    certFile: '/etc/cctv/tls/server.pem',
    keyFile: '/etc/cctv/tls/server.key',
  };

  it('adds a TLS listener with its certificate, key and TLS 1.2 or later, under the same authentication', () => {
    const { conf } = buildMosquittoConfig(
      { hub, sites, listener: { host: '127.0.0.1', port: 1883 }, tls },
      paths,
    );
    const lines = conf.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(lines).toEqual([
      // Global, so the TLS listener authenticates and authorises exactly like the plain one.
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${paths.passwordFile}`,
      `acl_file ${paths.aclFile}`,
      // The hub's session keeps every message while the hub is away (the default drops after 1000).
      'max_queued_messages 0',
      // The hub holds PUBACKs until commit: no cap of 20 messages in flight to it, but no more than
      // half of what the hub reads before it pauses (default ingest.maxQueued 20,000).
      'max_inflight_messages 10000',
      // Nothing goes back on the hub's connection until commit: no Nagle wait for its delayed ACKs.
      'set_tcp_nodelay true',
      // Sites are untrusted: a packet over the hub's mqtt.maxPacketBytes (256 KiB) closes the connection.
      'max_packet_size 262144',
      'retain_available true',
      'listener 1883 127.0.0.1',
      // Listener options follow their listener.
      'listener 8883 0.0.0.0',
      `certfile ${tls.certFile}`,
      `keyfile ${tls.keyFile}`,
      'tls_version tlsv1.2',
    ]);
  });

  it('sizes the in-flight window from the hub ingest.maxQueued, within MQTT packet ids', () => {
    expect(brokerInflightFor(20_000)).toBe(10_000);
    expect(brokerInflightFor(500_000)).toBe(65_535);
    expect(brokerInflightFor(10)).toBe(20);
    const { conf } = buildMosquittoConfig(
      { hub, sites, listener: { host: '127.0.0.1', port: 1883 }, maxInflight: brokerInflightFor(4000) },
      paths,
    );
    expect(conf).toContain('\nmax_inflight_messages 2000\n');
    expect(() =>
      buildMosquittoConfig(
        { hub, sites, listener: { host: '127.0.0.1', port: 1883 }, maxInflight: 0 },
        paths,
      ),
    ).toThrow(/max in-flight messages must be an integer from 1 to 65535, not 0/);
  });

  it("bounds packets at the hub's mqtt.maxPacketBytes, the same default as the hub", () => {
    const hubDefault = (defaultsOf(HubConfig) as HubConfig).mqtt.maxPacketBytes;
    expect(DEFAULT_MAX_PACKET_BYTES).toBe(hubDefault);
    const standard = buildMosquittoConfig({ hub, sites, listener: { host: '127.0.0.1', port: 1883 } }, paths);
    expect(standard.conf).toContain(`\nmax_packet_size ${hubDefault}\n`);
    const custom = buildMosquittoConfig(
      { hub, sites, listener: { host: '127.0.0.1', port: 1883 }, maxPacketBytes: 100_000 },
      paths,
    );
    expect(custom.conf.match(/^max_packet_size .*$/gm)).toEqual(['max_packet_size 100000']);
    // The deprecated payload-only limit is not used; the packet limit covers it.
    expect(custom.conf).not.toMatch(/^message_size_limit/m);
    expect(custom.conf).toContain('\nretain_available true\n');
  });

  it.each([[19], [268_435_461], [1.5]])(
    'refuses a max packet size Mosquitto cannot take: %s',
    (maxPacketBytes) => {
      expect(() =>
        buildMosquittoConfig(
          { hub, sites, listener: { host: '127.0.0.1', port: 1883 }, maxPacketBytes },
          paths,
        ),
      ).toThrow(MosquittoConfigError);
    },
  );

  it('writes only the TLS listener when there is no plain one', () => {
    const { conf } = buildMosquittoConfig({ hub, sites, listener: null, tls }, paths);
    expect(conf.match(/^listener /gm)).toEqual(['listener ']);
    expect(conf).toContain('listener 8883 0.0.0.0\n');
  });

  it.each([
    ['no listener at all', { listener: null, tls: null }],
    ['both listeners on one address', { listener: { host: '0.0.0.0', port: 8883 }, tls }],
    [
      'a certificate path with a line break',
      { listener: null, tls: { ...tls, certFile: '/x\nallow_anonymous true' } },
    ],
    ['an empty key path', { listener: null, tls: { ...tls, keyFile: '' } }],
  ])('refuses %s', (_what, input) => {
    expect(() => buildMosquittoConfig({ hub, sites, ...input }, paths)).toThrow(MosquittoConfigError);
  });

  it.each([
    [
      'a site named like the hub user',
      { hub, sites: [{ siteId: 'cctv-hub', passwordHash: hub.passwordHash }] },
    ],
    ['a hub user name with a colon', { hub: { ...hub, username: 'hub:x' }, sites }],
    ['a hub user name with a line break', { hub: { ...hub, username: 'hub\nuser x' }, sites }],
    [
      'a site id that is not a slug',
      { hub, sites: [{ siteId: 'a\nuser hub', passwordHash: hub.passwordHash }] },
    ],
    ['a stored value that is not a hash', { hub, sites: [{ siteId: 'penzance', passwordHash: 'plain' }] }],
  ])('refuses %s', (_what, input) => {
    expect(() =>
      buildMosquittoConfig({ ...input, listener: { host: '127.0.0.1', port: 1883 } }, paths),
    ).toThrow(Error);
  });

  it('names the clash when a site has the hub user name', () => {
    expect(() =>
      buildMosquittoConfig(
        {
          hub,
          sites: [{ siteId: 'cctv-hub', passwordHash: hub.passwordHash }],
          listener: { host: '127.0.0.1', port: 1883 },
        },
        paths,
      ),
    ).toThrow(MosquittoConfigError);
  });
});

describe('site topic rules', () => {
  it.each([
    ['penzance', 'cctv/v1/site/penzance/state', true],
    ['penzance', 'cctv/v1/site/penzance/camera/c1/health', true],
    ['penzance', 'cctv/v1/site/penzance/', false],
    ['penzance', 'cctv/v1/site/penzance', false],
    ['penzance', 'cctv/v1/site/penzance-east/state', false],
    ['penzance', 'cctv/v1/site/st-ives/state', false],
    ['penzance', 'cctv/v2/site/penzance/state', false],
  ])('site %s publishing %s: %s', (siteId, topic, allowed) => {
    expect(isOwnSiteTopic(siteId, topic)).toBe(allowed);
  });

  it.each([
    ['cctv/v1/site/penzance/request/#', true],
    ['cctv/v1/site/penzance/request/config', true],
    ['cctv/v1/site/penzance/request/+/x', true],
    ['cctv/v1/site/penzance/#', false],
    ['cctv/v1/site/+/request/#', false],
    ['cctv/v1/site/st-ives/request/#', false],
    ['cctv/v1/#', false],
    ['#', false],
    ['cctv/+/site/penzance/request/#', false],
  ])('site penzance subscribing %s: %s', (filter, allowed) => {
    expect(isOwnRequestFilter('penzance', filter)).toBe(allowed);
  });
});

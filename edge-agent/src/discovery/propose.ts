import type { Commissioning } from '../../../src/schemas/commissioning.ts';
import type { InspectedDevice, InspectedProfile } from './inspect-device.ts';
import { scopeValue } from './ws-discovery.ts';

// Camera entries for the agent's config from what discovery read. Commissioning facts (where the camera
// is, where it looks, what for) cannot be discovered: they get placeholders the installer must replace,
// and every proposal says which.

export const COMMISSIONING_PLACEHOLDERS = [
  'commissioning.location',
  'commissioning.bearingDeg',
  'commissioning.hfovDeg',
  'commissioning.designDistanceM',
  'commissioning.purpose',
] as const;

export interface ProposedCamera {
  id: string;
  name: string;
  /** 1-based channel on an encoder or recorder; null for a camera with one picture. */
  channel: number | null;
  /** The profile that shows this camera's picture at its best (the main stream). */
  profile: InspectedProfile;
  onvif: { url: string; username: string };
  credentialIndex: number;
  commissioning: Commissioning;
  /** Fields holding placeholders, to fill in before the camera is commissioned. */
  placeholders: string[];
}

const ID_MAX = 63;

/** Lowercase letters, digits and single dashes, as camera ids must be. */
export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function cameraId(siteId: string, label: string, channel: number | null): string {
  const suffix = channel === null ? '' : `-ch${channel}`;
  const room = ID_MAX - suffix.length;
  const head = slug(`${siteId}-${label}`).slice(0, room).replace(/-+$/, '');
  return `${head}${suffix}`;
}

/**
 * Profiles grouped by video source (a channel), in the device's order; the first profile of each group is
 * its main stream, as devices list main before sub. Profiles without a source token are one group.
 */
export function channelsOf(profiles: readonly InspectedProfile[]): InspectedProfile[][] {
  const groups = new Map<string, InspectedProfile[]>();
  for (const p of profiles) {
    const key = p.sourceToken ?? '';
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()];
}

export function proposeCameras(
  device: InspectedDevice,
  siteId: string,
  username: string,
  placeholderLocation: Commissioning['location'],
): ProposedCamera[] {
  if (device.status !== 'ok' || device.credentialIndex === null) return [];
  const announced = scopeValue(device.scopes, 'name');
  const serial = device.device?.serialNumber ?? '';
  const label = slug(announced ?? '') ? (announced as string) : serial || device.endpoint.slice(-12);
  const name =
    announced ??
    ([device.device?.manufacturer, device.device?.model, serial].filter(Boolean).join(' ') || label);
  const channels = channelsOf(device.profiles);
  const many = channels.length > 1;
  return channels.map((group, i) => {
    const channel = many ? i + 1 : null;
    const profile = group[0] as InspectedProfile;
    return {
      id: cameraId(siteId, label, channel),
      name: channel === null ? name : `${name} channel ${channel}`,
      channel,
      profile,
      onvif: { url: device.url, username },
      credentialIndex: device.credentialIndex as number,
      commissioning: {
        location: placeholderLocation,
        bearingDeg: 0,
        hfovDeg: 90,
        designDistanceM: 10,
        purpose: 'observe',
        ...(profile.bitrateKbps !== null ? { bitrateKbps: profile.bitrateKbps } : {}),
      },
      placeholders: [...COMMISSIONING_PLACEHOLDERS],
    };
  });
}

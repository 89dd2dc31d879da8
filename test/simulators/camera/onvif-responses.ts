import { localTimeInfo, type PosixTimeZone } from './posix-tz.ts';
import { xmlEscape as x } from './soap.ts';
import type { SimStreamName, SimVideoProfile } from './types.ts';

// Response bodies for the ONVIF device (tds) and media (trt) services, shaped after ONVIF Core 2.x and
// Media 1.x WSDLs. Only what monitoring needs is filled in; optional elements are left out.

export const MAIN_PROFILE_TOKEN = 'profile_main';
/** The second media profile, listed after the main one, on cameras whose spec has a subProfile. */
export const SUB_PROFILE_TOKEN = 'profile_sub';

export interface OnvifCameraView {
  id: string;
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  /** What the profile claims, even when a fault makes the stream differ. */
  profile: SimVideoProfile;
  /** The sub-stream profile and its RTSP URL, when the camera has one. */
  sub?: { profile: SimVideoProfile; rtspUrl: string };
  /** Video sources (channels); 1 for a camera. */
  channels: number;
  deviceUrl: string;
  /** Null for a device without the media service. */
  mediaUrl: string | null;
  snapshotUrl: string;
  rtspUrl: string;
  /** Search and events services, for a device with recordings (Profile G). */
  recordingServices?: { searchUrl: string; eventsUrl: string };
}

export interface CameraClockView {
  utcMs: number;
  timeZone: PosixTimeZone;
  ntp: boolean;
}

function dateTimeXml(ms: number): string {
  const d = new Date(ms);
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month>` +
    `<tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

export function getSystemDateAndTime(clock: CameraClockView): string {
  const local = localTimeInfo(clock.timeZone, clock.utcMs);
  return (
    '<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>' +
    `<tt:DateTimeType>${clock.ntp ? 'NTP' : 'Manual'}</tt:DateTimeType>` +
    `<tt:DaylightSavings>${local.dst}</tt:DaylightSavings>` +
    `<tt:TimeZone><tt:TZ>${x(clock.timeZone.text)}</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime>${dateTimeXml(clock.utcMs)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTimeXml(clock.utcMs + local.offsetSec * 1000)}</tt:LocalDateTime>` +
    '</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>'
  );
}

export function getNtp(ntp: boolean): string {
  // With NTP off a camera still answers GetNTP, just with no server configured.
  const manual = ntp
    ? '<tds:NTPManual><tt:Type>DNS</tt:Type><tt:DNSname>pool.ntp.org</tt:DNSname></tds:NTPManual>'
    : '';
  return `<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP>${manual}</tds:NTPInformation></tds:GetNTPResponse>`;
}

export function getDeviceInformation(cam: OnvifCameraView): string {
  return (
    '<tds:GetDeviceInformationResponse>' +
    `<tds:Manufacturer>${x(cam.manufacturer)}</tds:Manufacturer><tds:Model>${x(cam.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${x(cam.firmwareVersion)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${x(cam.serialNumber)}</tds:SerialNumber><tds:HardwareId>${x(cam.model)}-HW</tds:HardwareId>` +
    '</tds:GetDeviceInformationResponse>'
  );
}

export function getCapabilities(cam: OnvifCameraView): string {
  return (
    '<tds:GetCapabilitiesResponse><tds:Capabilities>' +
    `<tt:Device><tt:XAddr>${x(cam.deviceUrl)}</tt:XAddr>` +
    '<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>' +
    '<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>' +
    '<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>' +
    '<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>' +
    '</tt:Device>' +
    (cam.mediaUrl
      ? `<tt:Media><tt:XAddr>${x(cam.mediaUrl)}</tt:XAddr><tt:StreamingCapabilities>` +
        '<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>' +
        '</tt:StreamingCapabilities></tt:Media>'
      : '') +
    '</tds:Capabilities></tds:GetCapabilitiesResponse>'
  );
}

export function getServices(cam: OnvifCameraView): string {
  const service = (ns: string, url: string, minor: number): string =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${x(url)}</tds:XAddr>` +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    '<tds:GetServicesResponse>' +
    service('http://www.onvif.org/ver10/device/wsdl', cam.deviceUrl, 60) +
    (cam.mediaUrl ? service('http://www.onvif.org/ver10/media/wsdl', cam.mediaUrl, 60) : '') +
    (cam.recordingServices
      ? service('http://www.onvif.org/ver10/search/wsdl', cam.recordingServices.searchUrl, 42) +
        service('http://www.onvif.org/ver10/events/wsdl', cam.recordingServices.eventsUrl, 60)
      : '') +
    '</tds:GetServicesResponse>'
  );
}

export function getScopes(cam: OnvifCameraView): string {
  const scopes = [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/hardware/${encodeURIComponent(cam.model)}`,
    `onvif://www.onvif.org/name/${encodeURIComponent(cam.id)}`,
    'onvif://www.onvif.org/location/country/uk',
  ];
  const items = scopes
    .map(
      (s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(s)}</tt:ScopeItem></tds:Scopes>`,
    )
    .join('');
  return `<tds:GetScopesResponse>${items}</tds:GetScopesResponse>`;
}

/** Profile token of channel 2 and up on a multi-channel device (channel 1 is profile_main). */
export function channelProfileToken(channel: number): string {
  return `profile_ch${channel}`;
}

/** The media profile a token names, or undefined for a token this camera does not have. */
export function profileForToken(cam: OnvifCameraView, token: string | undefined): SimStreamName | undefined {
  if (token === MAIN_PROFILE_TOKEN) return 'main';
  if (token === SUB_PROFILE_TOKEN && cam.sub) return 'sub';
  // Every further channel of an encoder or recorder serves the main stream.
  const channel = /^profile_ch(\d{1,2})$/.exec(token ?? '');
  if (channel && Number(channel[1]) >= 2 && Number(channel[1]) <= cam.channels) return 'main';
  return undefined;
}

function profileXml(cam: OnvifCameraView, stream: SimStreamName, channel = 1): string {
  // Main and sub share channel 1's video source (the sensor, at the main stream's size); each has its
  // encoder. Each further channel has a source of its own.
  const source = cam.profile;
  const p = stream === 'sub' && cam.sub ? cam.sub.profile : cam.profile;
  const token =
    stream === 'sub' ? SUB_PROFILE_TOKEN : channel === 1 ? MAIN_PROFILE_TOKEN : channelProfileToken(channel);
  const sourceUses = cam.sub && channel === 1 ? 2 : 1;
  const encoder = channel === 1 ? stream : `ch${channel}`;
  return (
    `<trt:Profiles token="${token}" fixed="true"><tt:Name>${channel === 1 ? `${stream}Stream` : `Channel${channel}`}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="vsc_${channel}"><tt:Name>VideoSource_${channel}</tt:Name><tt:UseCount>${sourceUses}</tt:UseCount>` +
    `<tt:SourceToken>vs_${channel}</tt:SourceToken><tt:Bounds x="0" y="0" width="${source.width}" height="${source.height}"/>` +
    '</tt:VideoSourceConfiguration>' +
    `<tt:VideoEncoderConfiguration token="vec_${encoder}"><tt:Name>VideoEncoder_${encoder}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    '<tt:Encoding>H264</tt:Encoding>' +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    '<tt:Quality>4</tt:Quality>' +
    `<tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${p.fps}</tt:GovLength><tt:H264Profile>Baseline</tt:H264Profile></tt:H264>` +
    '<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>' +
    '<tt:Port>0</tt:Port><tt:TTL>0</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>' +
    '<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>' +
    '</trt:Profiles>'
  );
}

/** Main first, then the sub-stream: clients that take the first profile get the main stream. */
export function getProfiles(cam: OnvifCameraView): string {
  let profiles = profileXml(cam, 'main') + (cam.sub ? profileXml(cam, 'sub') : '');
  for (let channel = 2; channel <= cam.channels; channel++) profiles += profileXml(cam, 'main', channel);
  return `<trt:GetProfilesResponse>${profiles}</trt:GetProfilesResponse>`;
}

export function getProfile(cam: OnvifCameraView, stream: SimStreamName = 'main', token?: string): string {
  const channel = Number(/^profile_ch(\d{1,2})$/.exec(token ?? '')?.[1] ?? 1);
  return `<trt:GetProfileResponse>${profileXml(cam, stream, channel).replaceAll('trt:Profiles', 'trt:Profile')}</trt:GetProfileResponse>`;
}

function mediaUri(uri: string): string {
  return (
    `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    '<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>'
  );
}

export function getStreamUri(cam: OnvifCameraView, stream: SimStreamName = 'main'): string {
  const uri = stream === 'sub' && cam.sub ? cam.sub.rtspUrl : cam.rtspUrl;
  return `<trt:GetStreamUriResponse>${mediaUri(uri)}</trt:GetStreamUriResponse>`;
}

/** One snapshot URI for every profile (at the main stream's size), as most cameras do. */
export function getSnapshotUri(cam: OnvifCameraView): string {
  return `<trt:GetSnapshotUriResponse>${mediaUri(cam.snapshotUrl)}</trt:GetSnapshotUriResponse>`;
}

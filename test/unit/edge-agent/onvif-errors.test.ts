import { describe, expect, it } from 'vitest';
import {
  toDeviceInfo,
  toMediaProfile,
  translateNodeOnvifError,
} from '../../../edge-agent/src/onvif/device-client.ts';
import { classifySoapAnswer } from '../../../edge-agent/src/onvif/soap-client.ts';
import { parseSoapFault } from '../../../edge-agent/src/onvif/xml.ts';

const ctx = { siteId: 'site-a', cameraId: 'cam-1', url: 'http://127.0.0.1/onvif/device_service' };

const notAuthorized = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error">
<SOAP-ENV:Body><SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value>
<SOAP-ENV:Subcode><SOAP-ENV:Value>ter:NotAuthorized</SOAP-ENV:Value></SOAP-ENV:Subcode></SOAP-ENV:Code>
<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">Sender not Authorized</SOAP-ENV:Text></SOAP-ENV:Reason>
</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

const actionNotSupported = notAuthorized
  .replace('ter:NotAuthorized', 'ter:ActionNotSupported')
  .replace('Sender not Authorized', 'Optional Action Not Implemented');

describe('parseSoapFault', () => {
  it('reads code, subcode and reason whatever the prefix', () => {
    expect(parseSoapFault(notAuthorized)).toEqual({
      code: 'SOAP-ENV:Sender',
      subcode: 'ter:NotAuthorized',
      reason: 'Sender not Authorized',
    });
    expect(parseSoapFault(notAuthorized.replaceAll('SOAP-ENV:', ''))?.subcode).toBe('ter:NotAuthorized');
  });

  it('reads SOAP 1.1 faults', () => {
    const v11 =
      '<s:Envelope><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>Unauthorized</faultstring></s:Fault></s:Body></s:Envelope>';
    expect(parseSoapFault(v11)).toEqual({ code: 's:Client', subcode: '', reason: 'Unauthorized' });
  });
});

describe('classifySoapAnswer (real-camera quirks)', () => {
  it.each([
    { name: 'auth fault with HTTP 200', status: 200, body: notAuthorized, code: 'auth_failed' },
    { name: 'auth fault with HTTP 400 (the spec)', status: 400, body: notAuthorized, code: 'auth_failed' },
    { name: 'bare HTTP 401', status: 401, body: '', code: 'auth_failed' },
    {
      name: 'unimplemented: HTTP 500 plain text',
      status: 500,
      body: 'Internal Server Error\n',
      code: 'onvif_error',
    },
    { name: 'unsupported action fault', status: 400, body: actionNotSupported, code: 'onvif_error' },
    { name: 'plain success', status: 200, body: '<Envelope><Body><X/></Body></Envelope>', code: undefined },
  ])('$name -> $code', ({ status, body, code }) => {
    expect(classifySoapAnswer(status, body, ctx)?.code).toBe(code);
  });

  it('says what the fault was', () => {
    expect(classifySoapAnswer(200, actionNotSupported, ctx)?.message).toMatch(
      /ActionNotSupported.*Optional Action Not Implemented.*HTTP 200/,
    );
    expect(classifySoapAnswer(500, 'Internal Server Error', ctx)?.message).toBe(
      'HTTP 500: Internal Server Error',
    );
  });
});

describe('translateNodeOnvifError', () => {
  it.each([
    {
      message: 'Failed to initialize the device: Error: Network Error: connect ECONNREFUSED 10.0.0.5:80',
      code: 'unreachable',
    },
    { message: 'Network Error: connect EHOSTUNREACH 10.0.0.5:80', code: 'unreachable' },
    { message: 'Network Error: socket hang up', code: 'timeout' },
    {
      message: 'Failed to initialize the device: Error: 400 Bad Request - Sender not authorized',
      code: 'auth_failed',
    },
    { message: '401 Unauthorized', code: 'auth_failed' },
    { message: '500 Internal Server Error', code: 'onvif_error' },
    { message: 'The device seems to not support the GetProfiles() method.', code: 'onvif_error' },
  ])('$message -> $code', ({ message, code }) => {
    expect(translateNodeOnvifError(new Error(message), ctx)?.code).toBe(code);
  });

  it.each(['Failed to initialize the device: Error: [object Object]', '400 Bad Request'])(
    '%s needs a second look (the fault detail was lost)',
    (message) => {
      expect(translateNodeOnvifError(new Error(message), ctx)).toBeUndefined();
    },
  );
});

describe('node-onvif result mapping', () => {
  it('reads xml2js values with attributes ($) and text (_)', () => {
    const info = toDeviceInfo({
      $: { 'xmlns:tds': 'http://www.onvif.org/ver10/device/wsdl' },
      Manufacturer: { _: 'Acme', $: { lang: 'en' } },
      Model: 'X1',
      FirmwareVersion: 'V5.5.0 build 170725',
      SerialNumber: 'S123',
    });
    expect(info).toEqual({
      manufacturer: 'Acme',
      model: 'X1',
      firmwareVersion: 'V5.5.0 build 170725',
      serialNumber: 'S123',
      hardwareId: '',
    });
  });

  it('turns unparseable limits into null rather than NaN', () => {
    const profile = toMediaProfile({
      token: 'p1',
      name: 'main',
      snapshot: '',
      stream: { udp: '', http: '', rtsp: 'rtsp://10.0.0.5/main' },
      video: {
        encoder: {
          resolution: { width: 1920, height: 1080 },
          framerate: Number.NaN,
          bitrate: 0,
          encoding: 'H264',
        },
      },
    });
    expect(profile).toMatchObject({
      fpsLimit: null,
      bitrateLimitKbps: null,
      snapshotUri: null,
      streamUri: 'rtsp://10.0.0.5/main',
    });
  });
});

import { fresh, type KindEvaluator, notEvaluable, percent } from './outcome.ts';
import { pixelDensityPxPerM, requiredPxPerM, sceneWidthM } from './pixel-density.ts';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export const evaluatePixelDensity: KindEvaluator<'pixel-density'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const { purpose, hfovDeg, designDistanceM } = evidence.camera;
  const thresholds: Record<string, number | string | null> = { table: p.table, maxAgeMs: p.maxAgeMs };
  const missing = [
    purpose === undefined && 'purpose',
    hfovDeg === undefined && 'horizontal field of view',
    designDistanceM === undefined && 'design distance',
  ].filter(Boolean);
  if (purpose === undefined || hfovDeg === undefined || designDistanceM === undefined) {
    return notEvaluable(`no commissioned ${missing.join(', ')}`, thresholds);
  }
  const requiredPx = p.minPxPerM?.[purpose] ?? requiredPxPerM(p.table, purpose);
  thresholds.minPxPerM = requiredPx;
  thresholds.purpose = purpose;
  const stream = fresh(
    evidence.latestStream,
    'stream',
    'frame width',
    (r) => (r.payload.width > 0 ? r.payload.width : null),
    p.maxAgeMs,
    nowMs,
  );
  if (!stream.ok) return notEvaluable(stream.reason, thresholds);
  const sceneM = sceneWidthM(hfovDeg, designDistanceM);
  const density = pixelDensityPxPerM(stream.value, hfovDeg, designDistanceM);
  const values = { widthPx: stream.value, hfovDeg, designDistanceM, sceneWidthM: sceneM, pxPerM: density };
  if (density === null || sceneM === null) {
    return notEvaluable(
      `a ${hfovDeg} degree field of view has no flat scene width; set minPxPerM by survey instead`,
      thresholds,
      values,
    );
  }
  const ok = density >= requiredPx;
  return {
    status: ok ? 'pass' : 'fail',
    reason: `${round(density)} px/m at ${designDistanceM} m (scene ${round(sceneM, 2)} m wide); ${purpose} needs ${requiredPx} px/m (${p.table})`,
    values,
    thresholds,
    observedAtMs: stream.observedAtMs,
  };
};

export const evaluateFrameRate: KindEvaluator<'frame-rate'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const purpose = evidence.camera.purpose;
  const thresholds: Record<string, number | string | null> = { minFps: p.minFps, maxAgeMs: p.maxAgeMs };
  for (const [k, v] of Object.entries(p.minFpsByPurpose)) thresholds[`minFps.${k}`] = v ?? null;
  const stream = fresh(
    evidence.latestStream,
    'stream',
    'frame rate',
    (r) => r.payload.fps,
    p.maxAgeMs,
    nowMs,
  );
  if (!stream.ok) return notEvaluable(stream.reason, thresholds);
  const fps = stream.value;
  const values = { fps, purpose: purpose ?? null };
  let requiredFps: number;
  if (purpose !== undefined) {
    requiredFps = p.minFpsByPurpose[purpose] ?? p.minFps;
  } else {
    // Without a purpose the threshold is unknown, but a rate that meets every threshold (or fails the
    // general one) is decided either way.
    const strictest = Math.max(p.minFps, ...Object.values(p.minFpsByPurpose).map((v) => v ?? 0));
    if (fps >= strictest) requiredFps = strictest;
    else if (fps < p.minFps) requiredFps = p.minFps;
    else
      return notEvaluable(
        `no commissioned purpose to choose the minimum frame rate (${fps} fps)`,
        thresholds,
        values,
      );
  }
  const ok = fps >= requiredFps;
  return {
    status: ok ? 'pass' : 'fail',
    reason: `${round(fps, 2)} fps measured (minimum ${requiredFps}${purpose ? ` for ${purpose}` : ''})`,
    values,
    thresholds: { ...thresholds, requiredFps },
    observedAtMs: stream.observedAtMs,
  };
};

/** ffprobe says `h264`/`hevc`; profiles and people say `H.264`, `H-265`. */
const normaliseCodec = (codec: string) => codec.toLowerCase().replace(/[.\-_\s]/g, '');

export const evaluateCodec: KindEvaluator<'codec'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const thresholds = { allowed: p.allowed, maxAgeMs: p.maxAgeMs };
  const stream = fresh(
    evidence.latestStream,
    'stream',
    'codec',
    (r) => (r.payload.codec.trim() === '' ? null : r.payload.codec),
    p.maxAgeMs,
    nowMs,
  );
  if (!stream.ok) return notEvaluable(stream.reason, thresholds);
  const ok = p.allowed.map(normaliseCodec).includes(normaliseCodec(stream.value));
  return {
    status: ok ? 'pass' : 'fail',
    reason: ok
      ? `codec ${stream.value} is allowed`
      : `codec ${stream.value} is not one of ${p.allowed.join(', ')}`,
    values: { codec: stream.value },
    thresholds,
    observedAtMs: stream.observedAtMs,
  };
};

export const evaluateBitrate: KindEvaluator<'bitrate'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const commissionedKbps = evidence.camera.bitrateKbps;
  const thresholds = {
    minShareOfCommissioned: p.minShareOfCommissioned,
    commissionedKbps: commissionedKbps ?? null,
    maxAgeMs: p.maxAgeMs,
  };
  if (commissionedKbps === undefined || !(commissionedKbps > 0)) {
    return notEvaluable('no commissioned bitrate', thresholds);
  }
  const stream = fresh(
    evidence.latestStream,
    'stream',
    'measured bitrate',
    (r) => r.payload.bitrateKbps,
    p.maxAgeMs,
    nowMs,
  );
  if (!stream.ok) return notEvaluable(stream.reason, thresholds);
  const share = stream.value / commissionedKbps;
  const ok = share >= p.minShareOfCommissioned;
  return {
    status: ok ? 'pass' : 'fail',
    reason: `${round(stream.value, 0)} kbps is ${percent(share)} of the commissioned ${commissionedKbps} kbps (minimum ${percent(p.minShareOfCommissioned)})`,
    values: { bitrateKbps: stream.value, shareOfCommissioned: share },
    thresholds,
    observedAtMs: stream.observedAtMs,
  };
};

/** The stream against its own ONVIF profile: needs no commissioning record, only the declared limit. */
export const evaluateBitrateDeclared: KindEvaluator<'bitrate-declared'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const thresholds = {
    minShareOfDeclared: p.minShareOfDeclared,
    maxShareOfDeclared: p.maxShareOfDeclared,
    maxAgeMs: p.maxAgeMs,
  };
  const stream = fresh(
    evidence.latestStream,
    'stream',
    'measured bitrate with a declared profile bitrate',
    (r) => {
      const declaredKbps = r.payload.declared?.bitrateKbps;
      if (r.payload.bitrateKbps === null || !declaredKbps || !(declaredKbps > 0)) return null;
      return { measuredKbps: r.payload.bitrateKbps, declaredKbps };
    },
    p.maxAgeMs,
    nowMs,
  );
  if (!stream.ok) return notEvaluable(stream.reason, thresholds);
  const { measuredKbps, declaredKbps } = stream.value;
  const share = measuredKbps / declaredKbps;
  const within = (s: number) => s >= p.minShareOfDeclared && s <= p.maxShareOfDeclared;
  const allowed = `allowed ${percent(p.minShareOfDeclared)} to ${percent(p.maxShareOfDeclared)}`;
  // Every other profile the camera declares (its sub-streams), each judged on its own fresh probe.
  const subs = (evidence.subStreams ?? [])
    .filter((s) => nowMs - s.observedAtMs <= p.maxAgeMs)
    .flatMap((s) => {
      const declared = s.payload.declared?.bitrateKbps;
      if (s.payload.bitrateKbps === null || !declared || !(declared > 0)) return [];
      return [{ token: s.payload.declared?.token ?? '', measured: s.payload.bitrateKbps, declared }];
    })
    .sort((a, b) => a.token.localeCompare(b.token));
  const badSubs = subs.filter((s) => !within(s.measured / s.declared));
  const ok = within(share) && badSubs.length === 0;
  const main = `${round(measuredKbps, 0)} kbps is ${percent(share)} of the ${declaredKbps} kbps the profile declares (${allowed})`;
  const subText =
    subs.length === 0
      ? ''
      : badSubs.length === 0
        ? `; ${subs.length} sub-stream${subs.length === 1 ? '' : 's'} within limits`
        : `; ${badSubs
            .map(
              (s) =>
                `sub-stream ${s.token}: ${round(s.measured, 0)} kbps is ${percent(s.measured / s.declared)} of its declared ${s.declared} kbps`,
            )
            .join('; ')}`;
  const worst = subs.reduce<number | null>((w, s) => {
    const sh = s.measured / s.declared;
    const off = (x: number) => Math.max(p.minShareOfDeclared - x, x - p.maxShareOfDeclared);
    return w === null || off(sh) > off(w) ? sh : w;
  }, null);
  return {
    status: ok ? 'pass' : 'fail',
    reason: `${main}${subText}`,
    values: {
      bitrateKbps: measuredKbps,
      declaredKbps,
      shareOfDeclared: share,
      ...(subs.length > 0 ? { subStreamsChecked: subs.length, subStreamWorstShare: worst } : {}),
    },
    thresholds,
    observedAtMs: stream.observedAtMs,
  };
};

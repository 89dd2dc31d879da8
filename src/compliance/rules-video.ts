import { judgeVideo, videoFaults } from '../health/video-judge.ts';
import type { VideoCheck, VideoFault } from '../schemas/video-check.ts';
import { combineChecks, formatDuration, fresh, type KindEvaluator, notEvaluable } from './outcome.ts';
import type { EvidenceBag, RuleStatus } from './result.ts';

const MINUTE_MS = 60_000;

type Sample = { observedAtMs: number; video: VideoCheck };

/** Faults measured against the reference frame: without one they cannot be told, which is not a pass. */
const REFERENCE_MEASURE: Record<VideoFault, 'sharpnessRatio' | 'sceneSsim' | null> = {
  frozen: null,
  black: null,
  blurred: 'sharpnessRatio',
  scene_changed: 'sceneSsim',
  snapshot_stale: null,
  snapshot_mismatch: null,
};

/**
 * The agent's measures judged again with the code's own limits, so a result depends on the code@version
 * and not on how an agent was configured. A fault's active time runs from the first sample of the run of
 * faulty samples that reaches the latest one: a lower bound, so a fault is never failed on a guess.
 */
export const evaluateVideo: KindEvaluator<'video'> = (rule, evidence, nowMs) => {
  const p = rule.params;
  const { maxActiveMinutes, faults, maxAgeMs, ...limits } = p;
  const thresholds: EvidenceBag = { maxActiveMinutes, faults, maxAgeMs, ...limits };
  const samples = (evidence.recentVideo ?? [])
    .map((s): Sample => ({ observedAtMs: s.observedAtMs, video: judgeVideo(s.video, limits) }))
    .sort((a, b) => a.observedAtMs - b.observedAtMs);
  const latest = fresh(
    samples[samples.length - 1],
    'video analysis',
    'video check',
    (s) => s.video,
    maxAgeMs,
    nowMs,
  );
  if (!latest.ok) return notEvaluable(latest.reason, thresholds);
  const limitMs = maxActiveMinutes * MINUTE_MS;
  const statuses: RuleStatus[] = [];
  const notes: string[] = [];
  const values: EvidenceBag = {
    frozenShare: latest.value.frozenShare,
    blackShare: latest.value.blackShare,
    sharpnessRatio: latest.value.sharpnessRatio,
    sceneSsim: latest.value.sceneSsim,
    snapshotSsim: latest.value.snapshotSsim,
    snapshotRepeats: latest.value.snapshotRepeats,
    blurMethod: latest.value.blurMethod,
  };
  for (const fault of faults) {
    const measure = REFERENCE_MEASURE[fault];
    if (measure !== null && latest.value[measure] === null) {
      statuses.push('not_evaluable');
      notes.push(`${fault.replace('_', ' ')}: no commissioning reference frame`);
      continue;
    }
    let start: number | null = null;
    for (let i = samples.length - 1; i >= 0; i--) {
      const s = samples[i] as Sample;
      if (!videoFaults(s.video).includes(fault)) break;
      start = s.observedAtMs;
    }
    const activeMs = start === null ? null : latest.observedAtMs - start;
    values[`${fault.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())}ActiveMinutes`] =
      activeMs === null ? null : activeMs / MINUTE_MS;
    if (activeMs === null) {
      statuses.push('pass');
      continue;
    }
    const over = activeMs > limitMs;
    statuses.push(over ? 'fail' : 'pass');
    notes.push(
      `${fault.replace('_', ' ')} for ${formatDuration(activeMs)}${over ? ` (limit ${maxActiveMinutes} min)` : ''}`,
    );
  }
  const status = combineChecks(statuses);
  const reason = notes.length > 0 ? notes.join('; ') : `no ${faults.join('/')} fault active`;
  return { status, reason, values, thresholds, observedAtMs: latest.observedAtMs };
};

/**
 * When each camera's first stream probe and first video analysis fall, relative to the agent's start.
 *
 * Probes are fixed-rate timers (scheduler.ts): a camera keeps the phase it starts with. Spread at
 * random, probes due within one batch window share an ffmpeg run (about 5 of 8 at 250 cameras and a
 * 1 s window), and every run pays the tool's start (80-150 ms of CPU with a distribution's build).
 * With batching on, cameras are therefore put in groups of one batch, each group on one phase of an
 * even grid over the probe period: a group's probes fall due together and fill one run, and so do
 * its video analyses (which run after the probe, when due). A group's first analysis is due at one of
 * its probes 1 to m after the first (m = analysis period / probe period, 5 at the defaults), group g
 * at probe 1 + (g + r) mod m for a random r, so that every probe minute of an analysis period
 * carries the same number of groups' analyses (7, 7, 6, 6, 6 of 32 groups; an even grid of due times
 * over the analysis period gave 2, 8, 8, 8, 6 in a measured run, as the groups probed early in a
 * minute fell due a probe sooner than those probed late), and none falls on the first probes, which
 * come with the agent's first polls. The grid starts at a random offset, so that agents sharing a
 * machine do not probe in step.
 *
 * Cost: a site pulls a group's streams at once (8 for 2 s) instead of about 4 at any time; over a
 * thin town link that is the burst to size the link for. A camera's detection latency is unchanged
 * (each is still probed once a period).
 */

export interface PhaseOptions {
  cameras: number;
  /** Cameras whose probes share a run; 1 (batching off): each camera at a random phase. */
  groupSize: number;
  /** After the first poll (the probe needs the stream address it reads). */
  firstProbeAfterMs: number;
  probeIntervalMs: number;
  videoIntervalMs: number;
  random: () => number;
}

export interface CameraPhase {
  probeDelayMs: number;
  videoDelayMs: number;
}

export function cameraPhases(o: PhaseOptions): CameraPhase[] {
  if (o.groupSize < 2)
    return Array.from({ length: o.cameras }, () => ({
      probeDelayMs: o.firstProbeAfterMs + Math.floor(o.random() * o.probeIntervalMs),
      videoDelayMs: Math.floor(o.random() * o.videoIntervalMs),
    }));
  const groups = Math.max(1, Math.ceil(o.cameras / o.groupSize));
  const probeStep = o.probeIntervalMs / groups;
  const probeBase = o.random() * probeStep;
  const probesPerAnalysis = Math.max(1, Math.round(o.videoIntervalMs / o.probeIntervalMs));
  const rotation = Math.floor(o.random() * probesPerAnalysis);
  // Camera i in group i mod groups: groups differ in size by one at most.
  return Array.from({ length: o.cameras }, (_, i) => {
    const group = i % groups;
    const probeDelayMs = o.firstProbeAfterMs + Math.floor(probeBase + group * probeStep);
    const probe = 1 + ((group + rotation) % probesPerAnalysis);
    // Half a probe period before the chosen probe: due at that probe, whatever the probe's own delay.
    const videoDelayMs = probeDelayMs + probe * o.probeIntervalMs - Math.floor(o.probeIntervalMs / 2);
    return { probeDelayMs, videoDelayMs };
  });
}

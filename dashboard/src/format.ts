const timeFormat = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: '2-digit',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
  timeZoneName: 'short',
});

export function clockTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

export function dateTime(iso: string | null): string {
  return iso === null ? 'never' : dateTimeFormat.format(new Date(iso));
}

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; future times (clock skew) read as "just now". */
export function relativeTime(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const ageS = Math.round((nowMs - Date.parse(iso)) / 1000);
  if (Number.isNaN(ageS)) return 'unknown';
  if (ageS < 5) return 'just now';
  if (ageS < 60) return `${ageS} s ago`;
  const ageMin = Math.floor(ageS / 60);
  if (ageMin < 60) return `${ageMin} min ago`;
  const ageH = Math.floor(ageMin / 60);
  if (ageH < 48) return `${ageH} h ago`;
  return `${Math.floor(ageH / 24)} d ago`;
}

/** Clock offsets: milliseconds below a second, seconds above, always signed. */
export function offset(ms: number): string {
  const sign = ms > 0 ? '+' : ms < 0 ? '−' : '±';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 120_000) return `${sign}${(abs / 1000).toFixed(1)} s`;
  return `${sign}${Math.round(abs / 1000)} s`;
}

export function milliseconds(ms: number | null): string {
  return ms === null ? '–' : `${Math.round(ms)} ms`;
}

export function bitrate(kbps: number | null): string {
  if (kbps === null) return '–';
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mb/s` : `${Math.round(kbps)} kb/s`;
}

export function frameRate(fps: number | null): string {
  return fps === null ? '–' : `${Number.isInteger(fps) ? fps : fps.toFixed(2)} fps`;
}

export function resolution(width: number, height: number): string {
  return width > 0 && height > 0 ? `${width}×${height}` : '–';
}

export function yesNo(value: boolean | null): string {
  return value === null ? '–' : value ? 'yes' : 'no';
}

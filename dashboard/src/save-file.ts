import { el } from './dom.ts';

/**
 * Hands a fetched file to the browser's download through a short-lived blob URL: files the hub
 * serves only with the bearer token cannot be plain links, as the token must not go into a URL.
 */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: fileName, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the blob to the browser's download; revoke once it has been read.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The colour theme: 'system' follows `prefers-color-scheme`; 'light' and 'dark' set `data-theme` on
 * <html>, which styles.css lets override the media query. The choice is kept per browser.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_LABEL: Record<ThemeChoice, string> = {
  system: 'System',
  light: 'Light',
  dark: 'Dark',
};

const STORAGE_KEY = 'cctv-hub.theme';

function isThemeChoice(value: string | null): value is ThemeChoice {
  return value !== null && Object.hasOwn(THEME_LABEL, value);
}

export function storedTheme(): ThemeChoice {
  const stored = window.localStorage.getItem(STORAGE_KEY);
  return isThemeChoice(stored) ? stored : 'system';
}

/** Applies the choice to the page; with `remember` it is also kept for the next visit. */
export function applyTheme(choice: ThemeChoice, remember = false): void {
  if (choice === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', choice);
  if (!remember) return;
  if (choice === 'system') window.localStorage.removeItem(STORAGE_KEY);
  else window.localStorage.setItem(STORAGE_KEY, choice);
}

export function parseThemeChoice(value: string): ThemeChoice {
  return isThemeChoice(value) ? value : 'system';
}

import { el, setText } from './dom.ts';

/**
 * A secret the hub hands out once (a generated password, a new API key): shown in a box with a copy
 * button until dismissed. It lives only in this box's text, never in storage, the URL or the log.
 */
export class SecretBox {
  readonly element: HTMLElement;
  private readonly title = el('h3', { class: 'secret-title', tabindex: -1 });
  private readonly hint = el('p', { class: 'secret-hint' });
  private readonly value = el('code', { class: 'secret-value mono' });
  private readonly copyStatus = el('span', { class: 'secret-copy-status', role: 'status' });
  private returnFocus: HTMLElement | null = null;

  constructor(id: string) {
    this.value.id = `${id}-value`;
    this.copyStatus.id = `${id}-copy-status`;
    const copy = el('button', { type: 'button', class: 'secondary', id: `${id}-copy` }, 'Copy');
    const dismiss = el('button', { type: 'button', class: 'secondary', id: `${id}-dismiss` }, 'Dismiss');
    copy.addEventListener('click', () => void this.copy());
    dismiss.addEventListener('click', () => this.dismiss());
    this.element = el(
      'section',
      { id, class: 'secret-box', hidden: true, 'aria-labelledby': `${id}-title` },
      this.title,
      this.hint,
      el('div', { class: 'secret-row' }, this.value, copy, dismiss),
      this.copyStatus,
    );
    this.title.id = `${id}-title`;
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.dismiss();
    });
  }

  /** Shows the secret and moves the focus to it; Dismiss puts the focus back on `returnFocus`. */
  show(title: string, secret: string, hint: string, returnFocus: HTMLElement | null): void {
    setText(this.title, title);
    setText(this.hint, hint);
    setText(this.value, secret);
    setText(this.copyStatus, '');
    this.returnFocus = returnFocus;
    this.element.hidden = false;
    this.title.focus();
  }

  /** Forgets the secret (also when the view is left). */
  clear(): void {
    setText(this.value, '');
    setText(this.copyStatus, '');
    this.element.hidden = true;
  }

  private dismiss(): void {
    const focusAfter = this.returnFocus;
    this.returnFocus = null;
    this.clear();
    if (focusAfter?.isConnected) focusAfter.focus();
  }

  private async copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.value.textContent ?? '');
      setText(this.copyStatus, 'Copied to the clipboard.');
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(this.value);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      setText(
        this.copyStatus,
        'The browser refused the clipboard: the text is selected, copy it with Ctrl+C.',
      );
    }
  }
}

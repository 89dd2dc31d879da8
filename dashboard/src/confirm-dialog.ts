import { el, returnFocus } from './dom.ts';

export interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  /** 'danger' (the default) for what cannot be undone; 'primary' for a weighty but ordinary step. */
  tone?: 'danger' | 'primary';
  /** Fields shown under the message (read by the caller once confirmed). */
  fields?: HTMLElement[];
}

let dialogCount = 0;

/**
 * Asks before a change that cannot be undone, in a modal `<dialog>` (focus kept inside, Escape
 * cancels). The focus starts on Cancel, so a stray Enter does no harm, and returns where it was.
 */
export function confirmAction(options: ConfirmOptions): Promise<boolean> {
  const id = `confirm-dialog-${++dialogCount}`;
  const cancel = el('button', { type: 'button', class: 'secondary', id: 'confirm-cancel' }, 'Cancel');
  const confirm = el(
    'button',
    { type: 'submit', class: options.tone ?? 'danger', id: 'confirm-ok' },
    options.confirmLabel,
  );
  const form = el(
    'form',
    { class: 'confirm-form', novalidate: true },
    el('h2', { id: `${id}-title`, class: 'panel-title' }, options.title),
    el('p', { id: `${id}-message` }, options.message),
    ...(options.fields ?? []),
    el('div', { class: 'form-actions' }, confirm, cancel),
  );
  const dialog = el(
    'dialog',
    {
      id: 'confirm-dialog',
      class: 'confirm-dialog',
      'aria-labelledby': `${id}-title`,
      'aria-describedby': `${id}-message`,
    },
    form,
  );
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  return new Promise((resolve) => {
    // Enter in a field submits: that confirms.
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      dialog.close('confirm');
    });
    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      dialog.remove();
      // The list behind may have been rebuilt while the dialog was open: then its new row's control.
      returnFocus(opener);
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

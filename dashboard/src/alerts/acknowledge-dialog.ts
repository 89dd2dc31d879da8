import type { Alert } from '../../../src/schemas/alert-api.ts';
import { confirmAction } from '../confirm-dialog.ts';
import { el, field } from '../dom.ts';
import { KIND_LABEL } from './alert-words.ts';

/** As the hub's schema: an acknowledgement's comment. */
export const MAX_ACK_COMMENT = 500;

/**
 * Asks for the comment that goes with an acknowledgement ("engineer called, ETA 14:00"); resolves
 * with it (possibly empty), or null when cancelled. The focus starts in the comment.
 */
export async function askAcknowledgement(alert: Alert, siteName: string): Promise<string | null> {
  const comment = el('textarea', {
    id: 'ack-comment',
    name: 'comment',
    rows: 3,
    maxlength: MAX_ACK_COMMENT,
    autocomplete: 'off',
  });
  const answer = confirmAction({
    title: `Acknowledge: ${KIND_LABEL[alert.kind]} at ${siteName}`,
    message: alert.message,
    confirmLabel: 'Acknowledge',
    tone: 'primary',
    fields: [
      field(
        'Comment (optional)',
        comment,
        `What is being done, e.g. "engineer called, ETA 14:00". Up to ${MAX_ACK_COMMENT} characters.`,
      ),
    ],
  });
  // The dialog is open by now: the comment is what the user came to type.
  comment.focus();
  return (await answer) ? comment.value.trim() : null;
}

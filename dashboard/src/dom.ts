type Child = Node | string | number | null | undefined | false;

/** Tiny element builder: attributes are set with setAttribute, children as text nodes, so nothing is parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function setText(node: Element, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

/** A form field: label text, the control, and an optional hint under it that the control is described by. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLLabelElement {
  let hintElement: HTMLElement | null = null;
  if (hint) {
    hintElement = el('span', { class: 'field-hint muted', id: input.id ? `${input.id}-hint` : null }, hint);
    if (input.id) {
      const describedBy = input.getAttribute('aria-describedby');
      input.setAttribute(
        'aria-describedby',
        describedBy ? `${describedBy} ${hintElement.id}` : hintElement.id,
      );
    }
  }
  return el(
    'label',
    { class: 'field', for: input.id || null },
    el('span', { class: 'field-label' }, label),
    input,
    hintElement,
  );
}

/**
 * A selector for the same control in a re-rendered list: its `data-focus-key`, or its tag, classes
 * and `data-camera-id` (null for an element with neither). Lists rebuild their rows on each search
 * or change, so an element kept to give focus back to may be gone by then; its replacement has the
 * same selector.
 */
export function sameControlSelector(element: HTMLElement): string | null {
  const focusKey = element.dataset.focusKey;
  if (focusKey) return `[data-focus-key="${CSS.escape(focusKey)}"]`;
  const cameraId = element.dataset.cameraId;
  if (!cameraId) return null;
  const classes = [...element.classList].map((c) => `.${CSS.escape(c)}`).join('');
  return `${element.tagName.toLowerCase()}${classes}[data-camera-id="${CSS.escape(cameraId)}"]`;
}

/**
 * Gives the focus back to the control that opened a dialog or editor, or to the same control in its
 * list when the list was rebuilt meanwhile (see sameControlSelector).
 */
export function returnFocus(opener: HTMLElement | null): void {
  if (opener === null) return;
  if (opener.isConnected) {
    opener.focus();
    return;
  }
  const selector = sameControlSelector(opener);
  if (selector !== null) document.querySelector<HTMLElement>(selector)?.focus();
}

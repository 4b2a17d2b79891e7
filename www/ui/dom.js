// Making elements. Nothing here parses HTML: elements are created one by one and every text is
// set as a text node, so a text containing `<img onerror=…>` is shown as those characters and
// never runs. Every part of the chat builds its DOM with these (ui/view.js re-exports them).

/**
 * `h('button', { class: 'x', onclick: f, 'aria-label': 'y' }, 'text', child)`: an element with
 * attributes (`true` = present, `false`/null = absent), `on*` listeners, and children (strings
 * become text nodes).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

/** A `<button type="button">` (a plain button, never a form's submit), made as `h` makes one. */
export function button(props, ...children) {
  return h('button', { type: 'button', ...props }, ...children);
}

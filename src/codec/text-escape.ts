// Text from outside (a record's FRU text, a JSON parser's message, a QMP peer's description)
// printed to a terminal must not carry control characters: ESC sequences could move the cursor,
// rewrite earlier lines or set the window title. C0 controls, DEL and C1 controls (0x80–0x9f,
// where 0x9b is a one-byte CSI on some terminals) are written as `\u00XX`, as JSON writes them.

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `text` with every control character written as `\u00XX`; other text unchanged. */
export function escapeControlText(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

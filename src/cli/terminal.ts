/**
 * Text from outside (a manifest's description and field names, a
 * connector's messages) made inert for a terminal: control characters,
 * escape sequences (ESC, and the 8-bit CSI U+009B that some terminals obey)
 * and bidirectional overrides, which can clear the screen, move the cursor
 * or reorder what is shown, are written as visible escapes instead. A
 * consent prompt must show exactly what will run.
 */

/** C0 controls but tab, DEL, C1 controls, and the Unicode marks that reorder text. */
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_BUT_NEWLINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r" };

function visibleEscape(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** `text` with every character a terminal would act on shown as an escape (newlines too, unless kept). */
export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? UNSAFE_BUT_NEWLINES : UNSAFE, visibleEscape);
}

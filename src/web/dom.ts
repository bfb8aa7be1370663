// Small DOM helpers shared by the views: downloads, the clipboard, hex dumps as rows.

import { bytesToBase64, bytesToHex, hexDumpLines } from '../codec/index.js';

/** Saves bytes as a file (works offline: an object URL, no server). */
export function download(
  name: string,
  data: Uint8Array | string,
  type = 'application/octet-stream',
): void {
  const blob = new Blob([typeof data === 'string' ? data : data.slice()], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function downloadAs(base: string, bytes: Uint8Array, form: 'raw' | 'hex' | 'base64'): void {
  if (form === 'raw') download(`${base}.bin`, bytes);
  else if (form === 'hex') download(`${base}.hex`, `${bytesToHex(bytes)}\n`, 'text/plain');
  else download(`${base}.b64`, `${bytesToBase64(bytes)}\n`, 'text/plain');
}

/** Copies text; falls back to a selected textarea where the Clipboard API is refused (file://). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const t = document.createElement('textarea');
    t.value = text;
    document.body.append(t);
    t.select();
    const ok = document.execCommand('copy');
    t.remove();
    return ok;
  }
}

export { hexDumpLines };

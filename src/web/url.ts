// The page's shareable state lives in the URL's hash (`#decode?in=…&rec=2&sel=0x5c`), so a link
// reopens the same view, input, selection, scenario and step; the hash also works from file://
// and never reaches a server.

export type View = 'decode' | 'build' | 'watch';
export const VIEWS: readonly View[] = ['decode', 'build', 'watch'];

export interface Route {
  readonly view: View;
  readonly params: URLSearchParams;
}

export function readRoute(hash: string = location.hash): Route {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  const q = text.indexOf('?');
  const name = q < 0 ? text : text.slice(0, q);
  const view = (VIEWS as readonly string[]).includes(name) ? (name as View) : 'decode';
  return { view, params: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)) };
}

export function routeHash(view: View, params: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') p.set(k, v);
  const s = p.toString();
  return `#${view}${s === '' ? '' : `?${s}`}`;
}

/** Longest input kept in a link; longer inputs stay in the page only (the status line says so). */
export const MAX_URL_INPUT = 60_000;

/** Replaces the hash without a history entry (typing), or pushes one (navigation). */
export function writeRoute(
  view: View,
  params: Record<string, string | undefined>,
  push = false,
): void {
  const hash = routeHash(view, params);
  if (hash === location.hash) return;
  if (push) history.pushState(null, '', hash);
  else history.replaceState(null, '', hash);
}

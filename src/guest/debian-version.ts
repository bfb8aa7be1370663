// Debian package versions, compared as dpkg compares them (Debian Policy §5.6.12:
// [epoch:]upstream_version[-debian_revision]; `~` sorts before anything, even the end of the
// string; letters sort before non-letters). Used to pick the newest package an archive offers
// at set-up time, never a version written in code.

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

export function parseDebianVersion(text: string): DebianVersion {
  const v = text.trim();
  const colon = v.indexOf(':');
  const epochText = colon === -1 ? '0' : v.slice(0, colon);
  if (!/^\d+$/.test(epochText))
    throw new Error(`Cannot read Debian version ${JSON.stringify(text)}: bad epoch`);
  const rest = colon === -1 ? v : v.slice(colon + 1);
  const dash = rest.lastIndexOf('-');
  const upstream = dash === -1 ? rest : rest.slice(0, dash);
  const revision = dash === -1 ? '' : rest.slice(dash + 1);
  if (upstream === '' || !/^[0-9][A-Za-z0-9.+~:-]*$/.test(upstream))
    throw new Error(`Cannot read Debian version ${JSON.stringify(text)}: bad upstream version`);
  return { epoch: Number(epochText), upstream, revision };
}

/** dpkg's order of one character in a non-digit run: `~` < end < letters < others. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** dpkg's verrevcmp() on one part (upstream or revision). */
function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch - y.epoch;
  const u = comparePart(x.upstream, y.upstream);
  if (u !== 0) return Math.sign(u);
  return Math.sign(comparePart(x.revision, y.revision));
}

/** The upstream version's leading `major.minor` as numbers (`1:11.1.3+ds-2` → [11, 1]). */
export function upstreamMajorMinor(version: string): readonly [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(parseDebianVersion(version).upstream);
  return m === null ? undefined : [Number(m[1]), Number(m[2])];
}

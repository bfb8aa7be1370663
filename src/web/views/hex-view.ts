// The bytes pane: 16 bytes a line, each byte an element carrying its offset, so hovering a byte
// can name the field over it and a field's bytes can be highlighted (Wireshark's bytes pane).

import { type ComponentChild, h } from 'preact';

export interface ByteRange {
  readonly offset: number;
  readonly size: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Most bytes drawn; the rest are counted (a HEST or a record is far smaller). */
export const MAX_SHOWN = 16384;

function inside(r: ByteRange | undefined, o: number): boolean {
  return r !== undefined && o >= r.offset && o < r.offset + Math.max(r.size, 1);
}

export function HexView(props: {
  bytes: Uint8Array;
  hover?: ByteRange | undefined;
  selected?: ByteRange | undefined;
  errorAt?: number | undefined;
  onHoverByte?: (offset: number | undefined) => void;
  onClickByte?: (offset: number) => void;
  label?: string;
}): ComponentChild {
  const { bytes } = props;
  const shown = Math.min(bytes.length, MAX_SHOWN);
  const lines: ComponentChild[] = [];
  for (let off = 0; off < shown; off += 16) {
    const cells: ComponentChild[] = [];
    for (let o = off; o < Math.min(off + 16, shown); o++) {
      let cls = 'b';
      if (inside(props.selected, o)) cls += ' sel';
      if (inside(props.hover, o)) cls += ' hl';
      if (props.errorAt === o) cls += ' err';
      cells.push(h('span', { class: cls, 'data-o': o }, HEX[bytes[o]!]!));
    }
    lines.push(
      h('div', { class: 'hexline', key: off }, [
        h('span', { class: 'off' }, off.toString(16).padStart(4, '0')),
        ...cells,
      ]),
    );
  }
  if (props.errorAt !== undefined && props.errorAt >= shown) {
    lines.push(
      h('div', { class: 'hexline' }, [
        h('span', { class: 'off' }, props.errorAt.toString(16).padStart(4, '0')),
        h('span', { class: 'b err' }, '··'),
        h('span', { class: 'muted' }, ' input ends here'),
      ]),
    );
  }
  const target = (e: Event): number | undefined => {
    const o = (e.target as HTMLElement).dataset?.o;
    return o === undefined ? undefined : Number(o);
  };
  return h(
    'div',
    {
      class: 'hex',
      role: 'region',
      'aria-label': props.label ?? 'bytes',
      onMouseOver: (e: Event) => props.onHoverByte?.(target(e)),
      onMouseLeave: () => props.onHoverByte?.(undefined),
      onClick: (e: Event) => {
        const o = target(e);
        if (o !== undefined) props.onClickByte?.(o);
      },
    },
    [
      ...lines,
      bytes.length > shown
        ? h('div', { class: 'muted' }, `… ${bytes.length - shown} more bytes not drawn`)
        : null,
    ],
  );
}

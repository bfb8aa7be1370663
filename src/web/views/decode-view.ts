// The Decode view: paste, drop or open an input; one record shows as a field tree beside its
// bytes (hover either to highlight the other), the Linux lines for a chosen kernel and the lint's
// verdict; many records show first as a sortable table. Input, kernel, record and selected field
// live in the URL. All decoding is the codec's (model/decode.ts); this file only draws.

import { type ComponentChild, h } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  bytesToHex,
  HEST_NOTIFICATION_NAMES,
  hex,
  type KernelVersion,
  parseHestNotificationType,
  parseUnsignedText,
  type TableRow,
} from '../../codec/index.js';
import {
  type DecodedRecord,
  type DecodeOptions,
  decodeRecord,
  KERNELS,
  type RecordSummary,
} from '../model/decode.js';
import { bytesAsText, type ParsedInput, parseFileInput, parseTextInput } from '../model/input.js';
import { SAMPLES } from '../samples.js';
import { MAX_URL_INPUT, writeRoute } from '../url.js';
import { type ByteRange, HexView } from './hex-view.js';

type SortKey = keyof Omit<RecordSummary, 'tone'> | 'index';
const COLUMNS: readonly [SortKey, string][] = [
  ['index', '#'],
  ['time', 'time'],
  ['severity', 'severity'],
  ['sectionType', 'section type'],
  ['address', 'address'],
  ['verdict', 'verdict'],
];

/** The source that posts the record (for the Linux lines and the verdict). */
interface SourceSettings {
  readonly kernel: KernelVersion;
  /** A HEST notification name (sea, polled, gpio, …). */
  readonly notify: string;
  readonly sourceId: string;
}

function decodeOptions(s: SourceSettings): DecodeOptions {
  const n = parseHestNotificationType(s.notify);
  const id = parseUnsignedText('source id', s.sourceId, 16);
  return {
    kernel: s.kernel,
    ...(n === undefined ? {} : { notificationType: n }),
    ...(typeof id === 'bigint' ? { sourceId: Number(id) } : {}),
  };
}

export function rowValue(v: TableRow['value']): string {
  if (v === undefined) return '';
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return `hex:${bytesToHex(v)}`;
}

function Verdict(props: { d: DecodedRecord }): ComponentChild {
  const { d } = props;
  const a = d.lint.acceptance;
  const findings = d.lint.findings.filter((f) => f.severity !== 'info');
  return h('section', { class: 'panel verdict', 'aria-label': 'lint verdict' }, [
    h('h3', null, [
      'Linux verdict: ',
      h('span', { class: `badge ${d.summary.tone}`, 'data-verdict': '' }, d.summary.verdict),
    ]),
    a === undefined
      ? null
      : h(
          'p',
          { class: 'muted' },
          `accepted ${a.accepted ? 'yes' : 'no'} · acked ${a.acked ? 'yes' : 'no'} · printed ${a.printed ? 'yes' : 'no'} · panic ${a.panic ? 'yes' : 'no'} · forced SIGBUS ${a.forcedSigbus ? 'yes' : 'no'} · path ${a.path}`,
        ),
    findings.length === 0
      ? h('p', null, 'No findings: the kernel takes it as it is.')
      : h(
          'ul',
          { class: 'findings' },
          findings.map((f) =>
            h('li', { class: f.severity }, [
              h('code', null, f.code),
              f.offset === undefined ? '' : ` at ${hex(f.offset, 4)}`,
              f.field === undefined ? '' : ` (${f.field})`,
              ': ',
              f.message === '' ? '' : h('q', null, f.message),
              f.detail === undefined ? '' : ` ${f.detail}`,
            ]),
          ),
        ),
  ]);
}

interface Group {
  structure: string;
  rows: TableRow[];
}

function groups(rows: readonly TableRow[]): Group[] {
  const out: Group[] = [];
  for (const r of rows) {
    const last = out.at(-1);
    if (last !== undefined && last.structure === r.structure) last.rows.push(r);
    else out.push({ structure: r.structure, rows: [r] });
  }
  return out;
}

function FieldTree(props: {
  rows: readonly TableRow[];
  hover: ByteRange | undefined;
  selected: number | undefined;
  onHover: (r: ByteRange | undefined) => void;
  onSelect: (offset: number) => void;
}): ComponentChild {
  const move = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const all = Array.from(document.querySelectorAll<HTMLElement>('.fields tr[data-offset]'));
    const i = all.indexOf(e.currentTarget as HTMLElement);
    const next = all[e.key === 'ArrowDown' ? i + 1 : i - 1];
    if (next !== undefined) {
      e.preventDefault();
      next.focus();
    }
  };
  return h(
    'div',
    { class: 'fields', role: 'region', 'aria-label': 'fields' },
    groups(props.rows).map((g, gi) => {
      const start = g.rows[0]!.offset;
      const end = Math.max(...g.rows.map((r) => r.offset + r.size));
      return h('details', { open: true, key: gi }, [
        h('summary', null, [
          h('b', null, g.structure),
          h('span', { class: 'muted' }, ` ${hex(start, 4)}–${hex(end, 4)}, ${end - start} bytes`),
        ]),
        h('table', null, [
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ['offset', 'size', 'field', 'value', 'meaning'].map((c) => h('th', null, c)),
            ),
          ),
          h(
            'tbody',
            null,
            g.rows.map((r) => {
              const sel = props.selected === r.offset;
              const hl =
                props.hover !== undefined &&
                props.hover.offset === r.offset &&
                props.hover.size === r.size;
              return h(
                'tr',
                {
                  key: r.offset,
                  tabIndex: 0,
                  'aria-selected': sel,
                  class: `${sel ? 'sel' : ''} ${hl ? 'hl' : ''} ${r.field === '(not decoded)' ? 'gap' : ''}`,
                  'data-offset': r.offset,
                  'data-size': r.size,
                  'data-structure': r.structure,
                  'data-field': r.field,
                  'data-value': rowValue(r.value),
                  onMouseEnter: () => props.onHover({ offset: r.offset, size: r.size }),
                  onMouseLeave: () => props.onHover(undefined),
                  onFocus: () => props.onSelect(r.offset),
                  onClick: () => props.onSelect(r.offset),
                  onKeyDown: move,
                },
                [
                  h('td', { class: 'num' }, hex(r.offset, 4)),
                  h('td', { class: 'num' }, String(r.size)),
                  h('td', null, r.field),
                  h('td', { class: 'val' }, r.valueText),
                  h('td', { class: 'muted' }, r.meaning),
                ],
              );
            }),
          ),
        ]),
      ]);
    }),
  );
}

function RecordDetail(props: {
  bytes: Uint8Array;
  d: DecodedRecord;
  source: SourceSettings;
  setSource: (s: SourceSettings) => void;
  selected: number | undefined;
  setSelected: (o: number | undefined) => void;
}): ComponentChild {
  const { d, bytes } = props;
  const [hover, setHover] = useState<ByteRange | undefined>(undefined);
  const rowAt = (o: number): TableRow | undefined =>
    d.rows.find(
      (r) => o >= r.offset && o < r.offset + Math.max(r.size, 1) && r.field !== '(not decoded)',
    ) ?? d.rows.find((r) => o >= r.offset && o < r.offset + r.size);
  const selRow =
    props.selected === undefined ? undefined : d.rows.find((r) => r.offset === props.selected);
  const selectedRange =
    selRow === undefined ? undefined : { offset: selRow.offset, size: selRow.size };
  return h('div', { class: 'record' }, [
    h('p', { class: 'kind' }, [
      h('b', { 'data-kind': d.kind }, d.structure),
      ` · ${bytes.length} bytes · `,
      h('span', { class: 'muted' }, d.reasons.join('; ')),
    ]),
    d.problem === undefined
      ? null
      : h('div', { class: 'error', role: 'alert', 'data-error-offset': d.problem.offset ?? '' }, [
          h(
            'b',
            null,
            d.problem.offset === undefined
              ? 'Cannot decode: '
              : `Cannot decode at offset ${hex(d.problem.offset, 4)}: `,
          ),
          d.problem.message,
          d.rows.length > 0
            ? h('span', { class: 'muted' }, ' — the fields read before it are shown.')
            : null,
        ]),
    h(Verdict, { d }),
    h('div', { class: 'panes' }, [
      h(FieldTree, {
        rows: d.rows,
        hover,
        selected: props.selected,
        onHover: setHover,
        onSelect: (o) => props.setSelected(o),
      }),
      h(HexView, {
        bytes,
        hover,
        selected: selectedRange,
        errorAt: d.problem?.offset,
        onHoverByte: (o) => {
          const r = o === undefined ? undefined : rowAt(o);
          setHover(r === undefined ? undefined : { offset: r.offset, size: r.size });
        },
        onClickByte: (o) => props.setSelected(rowAt(o)?.offset),
      }),
    ]),
    h('section', { class: 'panel' }, [
      h('h3', null, 'What the guest kernel prints'),
      h('div', { class: 'row' }, [
        h('label', { class: 'field' }, [
          h('span', null, 'kernel'),
          h(
            'select',
            {
              name: 'kernel',
              value: props.source.kernel,
              onChange: (e: Event) =>
                props.setSource({
                  ...props.source,
                  kernel: (e.target as HTMLSelectElement).value as KernelVersion,
                }),
            },
            KERNELS.map((k) => h('option', { value: k }, k)),
          ),
        ]),
        h('label', { class: 'field' }, [
          h('span', null, 'source notification'),
          h(
            'select',
            {
              name: 'notify',
              value: props.source.notify,
              onChange: (e: Event) =>
                props.setSource({ ...props.source, notify: (e.target as HTMLSelectElement).value }),
            },
            HEST_NOTIFICATION_NAMES.map((n) => h('option', { value: n }, n)),
          ),
        ]),
        h('label', { class: 'field' }, [
          h('span', null, 'source id'),
          h('input', {
            name: 'sourceId',
            value: props.source.sourceId,
            style: { width: '5em', minWidth: '5em' },
            onInput: (e: Event) =>
              props.setSource({ ...props.source, sourceId: (e.target as HTMLInputElement).value }),
          }),
        ]),
        h(
          'span',
          { class: 'muted' },
          `vras decode FILE --format linux --kernel ${props.source.kernel} --notify ${props.source.notify} --source-id ${props.source.sourceId}`,
        ),
      ]),
      d.linux === undefined
        ? h(
            'p',
            { class: 'muted' },
            d.kind === 'hest'
              ? 'A HEST prints no record lines.'
              : `No lines: ${d.linuxProblem ?? ''}`,
          )
        : h('pre', { class: 'linux' }, d.linux.join('\n')),
    ]),
    d.json === undefined
      ? null
      : h('details', { class: 'panel' }, [
          h('summary', null, 'JSON (as vras decode --format json prints it)'),
          h('pre', { class: 'json' }, d.json),
        ]),
  ]);
}

function RecordTable(props: {
  items: { origin: string; summary: RecordSummary }[];
  current: number;
  open: (i: number) => void;
  sort: string;
  setSort: (s: string) => void;
}): ComponentChild {
  const desc = props.sort.startsWith('-');
  const key = (desc ? props.sort.slice(1) : props.sort) as SortKey;
  const order = props.items.map((it, i) => ({ ...it, index: i }));
  if (key !== 'index' && COLUMNS.some(([k]) => k === key)) {
    order.sort(
      (a, b) =>
        a.summary[key as keyof RecordSummary].localeCompare(
          b.summary[key as keyof RecordSummary],
        ) || a.index - b.index,
    );
  }
  if (desc) order.reverse();
  return h('table', { class: 'records', 'aria-label': 'records' }, [
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        COLUMNS.map(([k, label]) =>
          h(
            'th',
            { 'aria-sort': k === key ? (desc ? 'descending' : 'ascending') : 'none' },
            h(
              'button',
              { class: 'link', onClick: () => props.setSort(k === key && !desc ? `-${k}` : k) },
              [label, k === key ? (desc ? ' ▼' : ' ▲') : ''],
            ),
          ),
        ),
      ),
    ),
    h(
      'tbody',
      null,
      order.map((it) =>
        h(
          'tr',
          {
            key: it.index,
            tabIndex: 0,
            class: it.index === props.current ? 'sel' : '',
            'data-index': it.index,
            onClick: () => props.open(it.index),
            onKeyDown: (e: KeyboardEvent) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                props.open(it.index);
              }
            },
          },
          [
            h('td', { class: 'num', title: it.origin }, String(it.index + 1)),
            h('td', null, it.summary.time),
            h('td', null, it.summary.severity),
            h('td', null, it.summary.sectionType),
            h('td', { class: 'num' }, it.summary.address),
            h('td', null, h('span', { class: `badge ${it.summary.tone}` }, it.summary.verdict)),
          ],
        ),
      ),
    ),
  ]);
}

export function DecodeView(props: { params: URLSearchParams }): ComponentChild {
  const p = props.params;
  const [text, setText] = useState(p.get('in') ?? '');
  const [source, setSource] = useState<SourceSettings>({
    kernel: (p.get('k') as KernelVersion | null) ?? '6.1',
    notify: p.get('n') ?? 'sea',
    sourceId: p.get('sid') ?? '0',
  });
  const [rec, setRec] = useState(Number(p.get('rec') ?? 0) || 0);
  const [sel, setSel] = useState<number | undefined>(
    p.has('sel') ? Number(p.get('sel')) : undefined,
  );
  const [sort, setSort] = useState(p.get('sort') ?? 'index');
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    writeRoute('decode', {
      in: text.length <= MAX_URL_INPUT ? text : undefined,
      k: source.kernel === '6.1' ? undefined : source.kernel,
      n: source.notify === 'sea' ? undefined : source.notify,
      sid: source.sourceId === '0' ? undefined : source.sourceId,
      rec: rec === 0 ? undefined : String(rec),
      sel: sel === undefined ? undefined : `0x${sel.toString(16)}`,
      sort: sort === 'index' ? undefined : sort,
    });
  }, [text, source, rec, sel, sort]);

  const parsed: ParsedInput = useMemo(() => parseTextInput(text), [text]);
  const decoded = useMemo(
    () =>
      parsed.records.map((r) =>
        decodeRecord(r.bytes, {
          ...decodeOptions(source),
          ...(r.as === undefined ? {} : { as: r.as }),
        }),
      ),
    [parsed, source],
  );
  const current = Math.min(rec, Math.max(0, decoded.length - 1));

  const takeFile = async (file: File) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const got = parseFileInput(bytes);
    const printable = got.records.every((r) => r.encoding !== 'raw');
    setText(printable ? new TextDecoder('latin1').decode(bytes) : bytesAsText(bytes));
    setRec(0);
    setSel(undefined);
  };

  return h('div', { class: 'view decode' }, [
    h('section', { class: 'panel input' }, [
      h(
        'label',
        { for: 'input', class: 'h' },
        'Input: hex, base64, a Redfish LogEntry, JSON Lines or a log of records (one per line); drop or open a file',
      ),
      h('textarea', {
        id: 'input',
        class: dragging ? 'drop' : '',
        rows: 5,
        spellcheck: false,
        placeholder: 'paste here, or drop a .bin / .cper / .json file',
        value: text,
        onInput: (e: Event) => {
          setText((e.target as HTMLTextAreaElement).value);
          setRec(0);
          setSel(undefined);
        },
        onDragOver: (e: DragEvent) => {
          e.preventDefault();
          setDragging(true);
        },
        onDragLeave: () => setDragging(false),
        onDrop: (e: DragEvent) => {
          e.preventDefault();
          setDragging(false);
          const f = e.dataTransfer?.files[0];
          if (f !== undefined) void takeFile(f);
        },
      }),
      h('div', { class: 'row' }, [
        h('label', { class: 'button' }, [
          'Open file…',
          h('input', {
            type: 'file',
            class: 'hidden-file',
            'aria-label': 'open file',
            onChange: (e: Event) => {
              const f = (e.target as HTMLInputElement).files?.[0];
              if (f !== undefined) void takeFile(f);
            },
          }),
        ]),
        h('span', null, 'Samples:'),
        ...SAMPLES.map((s) =>
          h(
            'button',
            {
              'data-sample': s.id,
              onClick: () => {
                setText(s.text());
                setRec(0);
                setSel(undefined);
              },
            },
            s.label,
          ),
        ),
        h('span', { class: 'muted status', 'aria-live': 'polite' }, [
          parsed.form,
          parsed.records.length > 1 ? ` · ${parsed.records.length} records` : '',
          text.length > MAX_URL_INPUT ? ' · too long for a link: the URL keeps the view only' : '',
        ]),
      ]),
    ]),
    parsed.problems.length === 0
      ? null
      : h(
          'div',
          { class: 'error', role: 'alert' },
          parsed.problems.map((pr) => h('div', null, [h('b', null, `${pr.origin}: `), pr.message])),
        ),
    decoded.length > 1
      ? h(RecordTable, {
          items: decoded.map((d, i) => ({ origin: parsed.records[i]!.origin, summary: d.summary })),
          current,
          open: (i) => {
            setRec(i);
            setSel(undefined);
          },
          sort,
          setSort,
        })
      : null,
    decoded.length === 0
      ? text.trim() === ''
        ? h('p', { class: 'muted hint' }, 'Paste a record or pick a sample to start.')
        : null
      : h('div', null, [
          decoded.length > 1
            ? h(
                'h2',
                null,
                `Record ${current + 1} of ${decoded.length} (${parsed.records[current]!.origin})`,
              )
            : null,
          h(RecordDetail, {
            key: `${current}`,
            bytes: parsed.records[current]!.bytes,
            d: decoded[current]!,
            source,
            setSource,
            selected: sel,
            setSelected: setSel,
          }),
        ]),
  ]);
}

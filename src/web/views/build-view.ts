// The Build view: a form for a HEST (QEMU's profile, or GHES / GHESv2 sources with their
// notification types) or for a record (status block or CPER record with a memory section). The
// bytes update as you type; download them as raw, hex or base64, or copy the `vras` command line
// that prints the same bytes. The form lives in the URL. The bytes are the codec's (model/build.ts).

import { type ComponentChild, h } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { bytesToBase64, bytesToHex, hexDumpLines, memoryErrorTypeName } from '../../codec/index.js';
import { copyText, downloadAs } from '../dom.js';
import {
  type Built,
  buildHest,
  buildRecord,
  DEFAULT_HEST_FORM,
  DEFAULT_RECORD_FORM,
  HEST_NOTIFICATION_NAMES,
  type HestForm,
  QEMU_HEST_PROFILE_NAMES,
  type RecordForm,
  SEVERITIES,
  type SourceForm,
} from '../model/build.js';
import { routeHash, writeRoute } from '../url.js';

function parseForm<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? { ...fallback, ...(v as Partial<T>) } : fallback;
  } catch {
    return fallback;
  }
}

function Field(props: {
  label: string;
  value: string;
  onInput: (v: string) => void;
  name: string;
  width?: string;
}): ComponentChild {
  return h('label', { class: 'field' }, [
    h('span', null, props.label),
    h('input', {
      name: props.name,
      value: props.value,
      spellcheck: false,
      style: props.width === undefined ? undefined : { width: props.width },
      onInput: (e: Event) => props.onInput((e.target as HTMLInputElement).value),
    }),
  ]);
}

function Select(props: {
  label: string;
  value: string;
  options: readonly (readonly [string, string])[];
  onChange: (v: string) => void;
  name: string;
}): ComponentChild {
  return h('label', { class: 'field' }, [
    h('span', null, props.label),
    h(
      'select',
      {
        name: props.name,
        value: props.value,
        onChange: (e: Event) => props.onChange((e.target as HTMLSelectElement).value),
      },
      props.options.map(([v, l]) => h('option', { value: v }, l)),
    ),
  ]);
}

function Output(props: { built: Built; base: string }): ComponentChild {
  const { built } = props;
  const [copied, setCopied] = useState('');
  if (built.error !== undefined || built.bytes === undefined) {
    return h('div', { class: 'error', role: 'alert' }, built.error ?? 'nothing to build');
  }
  const bytes = built.bytes;
  return h('section', { class: 'panel output', 'aria-label': 'output' }, [
    h('h3', null, [
      `${bytes.length} bytes `,
      h('a', { href: routeHash('decode', { in: bytesToHex(bytes) }) }, 'open in Decode'),
    ]),
    h('pre', { class: 'dump', 'data-hex': bytesToHex(bytes) }, hexDumpLines(bytes).join('\n')),
    h('div', { class: 'row' }, [
      h('span', null, 'Download:'),
      h('button', { onClick: () => downloadAs(props.base, bytes, 'raw') }, 'raw'),
      h('button', { onClick: () => downloadAs(props.base, bytes, 'hex') }, 'hex'),
      h('button', { onClick: () => downloadAs(props.base, bytes, 'base64') }, 'base64'),
      h('span', { class: 'muted' }, `base64: ${bytesToBase64(bytes).slice(0, 48)}…`),
    ]),
    h('h3', null, [
      'The same with vras ',
      h(
        'button',
        {
          onClick: async () =>
            setCopied((await copyText(built.command ?? '')) ? 'copied' : 'select and copy by hand'),
        },
        'Copy',
      ),
      h('span', { class: 'muted', 'aria-live': 'polite' }, ` ${copied}`),
    ]),
    h('pre', { class: 'command' }, built.command ?? ''),
  ]);
}

function HestBuilder(props: { form: HestForm; set: (f: HestForm) => void }): ComponentChild {
  const { form, set } = props;
  const setSource = (i: number, s: Partial<SourceForm>) =>
    set({ ...form, sources: form.sources.map((x, j) => (j === i ? { ...x, ...s } : x)) });
  const notifications = HEST_NOTIFICATION_NAMES.map((n) => [n, n] as const);
  return h('section', { class: 'panel form', 'aria-label': 'HEST form' }, [
    h(Select, {
      label: 'table',
      name: 'profile',
      value: form.profile,
      options: [
        ['custom', 'my error sources'],
        ...QEMU_HEST_PROFILE_NAMES.map((n) => [n, `QEMU ${n}`] as const),
      ],
      onChange: (v) => set({ ...form, profile: v as HestForm['profile'] }),
    }),
    form.profile !== 'custom'
      ? h(Field, {
          label: 'etc/hardware_errors address',
          name: 'blobAddress',
          value: form.blobAddress,
          onInput: (v) => set({ ...form, blobAddress: v }),
        })
      : h('div', null, [
          ...form.sources.map((s, i) =>
            h('fieldset', { key: i, class: 'source' }, [
              h('legend', null, `source ${i + 1}`),
              h(Select, {
                label: 'type',
                name: `type${i}`,
                value: s.type,
                options: [
                  ['ghes-v2', 'GHESv2 (10)'],
                  ['ghes', 'GHES (9)'],
                ],
                onChange: (v) => setSource(i, { type: v as SourceForm['type'] }),
              }),
              h(Field, {
                label: 'source id',
                name: `sourceId${i}`,
                value: s.sourceId,
                width: '5em',
                onInput: (v) => setSource(i, { sourceId: v }),
              }),
              h(Select, {
                label: 'notification',
                name: `notification${i}`,
                value: s.notification,
                options: notifications,
                onChange: (v) => setSource(i, { notification: v }),
              }),
              h(Field, {
                label: 'error status address',
                name: `errorStatusAddress${i}`,
                value: s.errorStatusAddress,
                onInput: (v) => setSource(i, { errorStatusAddress: v }),
              }),
              s.type === 'ghes-v2'
                ? h(Field, {
                    label: 'read ack address',
                    name: `readAckAddress${i}`,
                    value: s.readAckAddress,
                    onInput: (v) => setSource(i, { readAckAddress: v }),
                  })
                : null,
              h(Field, {
                label: 'block length',
                name: `errorStatusBlockLength${i}`,
                value: s.errorStatusBlockLength,
                width: '6em',
                onInput: (v) => setSource(i, { errorStatusBlockLength: v }),
              }),
              h(
                'button',
                {
                  onClick: () => set({ ...form, sources: form.sources.filter((_, j) => j !== i) }),
                },
                'Remove',
              ),
            ]),
          ),
          h(
            'button',
            {
              onClick: () => {
                const last = form.sources.at(-1) ?? DEFAULT_HEST_FORM.sources[0]!;
                const id = String(form.sources.length);
                const step = (t: string, n: bigint) => {
                  try {
                    return `0x${(BigInt(t) + n).toString(16)}`;
                  } catch {
                    return t;
                  }
                };
                set({
                  ...form,
                  sources: [
                    ...form.sources,
                    {
                      ...last,
                      sourceId: id,
                      notification: 'gpio',
                      errorStatusAddress: step(last.errorStatusAddress, 0x10n),
                      readAckAddress: step(last.readAckAddress, 0x10n),
                    },
                  ],
                });
              },
            },
            'Add a source',
          ),
        ]),
  ]);
}

function RecordBuilder(props: { form: RecordForm; set: (f: RecordForm) => void }): ComponentChild {
  const { form, set } = props;
  const types = Array.from(
    { length: 16 },
    (_, i) => [String(i), `${i} ${memoryErrorTypeName(i)}`] as const,
  );
  return h('section', { class: 'panel form', 'aria-label': 'record form' }, [
    h(Select, {
      label: 'container',
      name: 'container',
      value: form.container,
      options: [
        ['status-block', 'GHES status block'],
        ['cper-record', 'CPER record'],
      ],
      onChange: (v) => set({ ...form, container: v as RecordForm['container'] }),
    }),
    h(Select, {
      label: 'severity',
      name: 'severity',
      value: form.severity,
      options: SEVERITIES,
      onChange: (v) => set({ ...form, severity: v }),
    }),
    h(Select, {
      label: 'section',
      name: 'section',
      value: form.section ?? 'memory',
      options: [
        ['memory', 'Platform Memory Error'],
        ['arm', 'ARM Processor Error'],
      ],
      onChange: (v) => set({ ...form, section: v as 'memory' | 'arm' }),
    }),
    form.section === 'arm'
      ? h('fieldset', null, [
          h('legend', null, 'ARM Processor Error section (one error information entry)'),
          h(Field, {
            label: 'MPIDR',
            name: 'mpidr',
            value: form.mpidr ?? '0x80000000',
            onInput: (v) => set({ ...form, mpidr: v }),
          }),
          h(Select, {
            label: 'error type',
            name: 'armErrorType',
            value: form.armErrorType ?? 'Cache',
            options: [
              ['Cache', 'cache'],
              ['Tlb', 'TLB'],
              ['Bus', 'bus'],
              ['MicroArchitectural', 'micro-architectural'],
            ],
            onChange: (v) =>
              set({ ...form, armErrorType: v as RecordForm['armErrorType'] & string }),
          }),
          h(Field, {
            label: 'physical fault address',
            name: 'physicalAddress',
            value: form.physicalAddress,
            onInput: (v) => set({ ...form, physicalAddress: v }),
          }),
        ])
      : h('fieldset', null, [
          h('legend', null, 'Platform Memory Error section'),
          h(Field, {
            label: 'physical address',
            name: 'physicalAddress',
            value: form.physicalAddress,
            onInput: (v) => set({ ...form, physicalAddress: v }),
          }),
          h(Field, {
            label: 'physical address mask',
            name: 'physicalAddressMask',
            value: form.physicalAddressMask,
            onInput: (v) => set({ ...form, physicalAddressMask: v }),
          }),
          h(Select, {
            label: 'memory error type',
            name: 'errorType',
            value: form.errorType,
            options: types,
            onChange: (v) => set({ ...form, errorType: v }),
          }),
        ]),
  ]);
}

export function BuildView(props: { params: URLSearchParams }): ComponentChild {
  const p = props.params;
  const [what, setWhat] = useState(p.get('what') === 'record' ? 'record' : 'hest');
  const [hest, setHest] = useState<HestForm>(() => parseForm(p.get('hest'), DEFAULT_HEST_FORM));
  const [record, setRecord] = useState<RecordForm>(() =>
    parseForm(p.get('record'), DEFAULT_RECORD_FORM),
  );
  useEffect(() => {
    writeRoute('build', {
      what,
      ...(what === 'hest' ? { hest: JSON.stringify(hest) } : { record: JSON.stringify(record) }),
    });
  }, [what, hest, record]);
  const built = useMemo(
    () => (what === 'hest' ? buildHest(hest) : buildRecord(record)),
    [what, hest, record],
  );
  return h('div', { class: 'view build' }, [
    h('div', { class: 'row', role: 'radiogroup', 'aria-label': 'what to build' }, [
      h('span', null, 'Build:'),
      ...(['hest', 'record'] as const).map((w) =>
        h('label', { class: 'radio' }, [
          h('input', {
            type: 'radio',
            name: 'what',
            value: w,
            checked: what === w,
            onChange: () => setWhat(w),
          }),
          w === 'hest' ? ' a HEST' : ' a record',
        ]),
      ),
    ]),
    h('div', { class: 'panes' }, [
      what === 'hest'
        ? h(HestBuilder, { form: hest, set: setHest })
        : h(RecordBuilder, { form: record, set: setRecord }),
      h(Output, { built, base: what }),
    ]),
  ]);
}

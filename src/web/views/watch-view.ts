// The Watch view: a scenario (built-in, or pasted as JSON) run in the simulator in the page, drawn
// as a sequence diagram with one lane per layer and one row per trace event; step forward and
// back (buttons, ← →, Home, End), click an event for its fields, the registers it names and the
// guest-memory bytes written before it. Also the PowerPC old/new kernel × old/new VMM table and
// a campaign's summary as charts. Scenario, seed, kernel and step live in the URL.

import { type ComponentChild, h } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { bytesToHex, hexDumpLines, type KernelVersion } from '../../codec/index.js';
import type { CampaignSummary } from '../../sim/index.js';
import { KERNELS } from '../model/decode.js';
import {
  findScenario,
  LAYERS,
  type Layer,
  mergeWrites,
  registerNotes,
  runSmallCampaign,
  runWatch,
  scenarioNames,
  type WatchEvent,
  type WatchRun,
} from '../model/watch.js';
import { MAX_URL_INPUT, routeHash, writeRoute } from '../url.js';

const LANE_W = 104;
/** Width of the time-and-label column left of the lanes. */
const LABEL_W = 430;
const ROW_H = 22;
const TOP = 34;

function seconds(ns: number): string {
  return `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;
}

function label(e: WatchEvent): string {
  const ev = e.event;
  const text = ev.ev === 'console' ? String(ev.line) : ev.ev;
  return `${e.vm === '' ? '' : `[${e.vm}] `}${text}`.slice(0, 90);
}

function Diagram(props: {
  run: WatchRun;
  step: number;
  setStep: (i: number) => void;
}): ComponentChild {
  const { events } = props.run;
  const laneX = (l: Layer) => LABEL_W + LAYERS.indexOf(l) * LANE_W + LANE_W / 2;
  const width = LABEL_W + LAYERS.length * LANE_W;
  const height = TOP + events.length * ROW_H + 10;
  const items: ComponentChild[] = [];
  LAYERS.forEach((l) => {
    items.push(
      h('text', { x: laneX(l), y: 16, class: 'lane-title', 'text-anchor': 'middle' }, l),
      h('line', { x1: laneX(l), x2: laneX(l), y1: 24, y2: height, class: 'lane' }),
    );
  });
  events.forEach((e, i) => {
    const y = TOP + i * ROW_H;
    const x = laneX(e.layer);
    const prev = events[i - 1];
    if (prev !== undefined && prev.layer !== e.layer && e.event.ev !== 'console') {
      items.push(
        h('line', {
          x1: laneX(prev.layer),
          y1: y - ROW_H,
          x2: x,
          y2: y - 5,
          class: 'arrow',
          'marker-end': 'url(#arrowhead)',
        }),
      );
    }
    const cls = i === props.step ? 'ev cur' : i < props.step ? 'ev past' : 'ev future';
    items.push(
      h(
        'g',
        {
          class: cls,
          'data-step': i,
          role: 'button',
          'aria-label': `event ${i + 1}: ${e.layer} ${e.event.ev}`,
          onClick: () => props.setStep(i),
        },
        [
          h('rect', { x: 0, y: y - ROW_H / 2, width, height: ROW_H, class: 'hit' }),
          h('circle', { cx: x, cy: y, r: e.writes.length > 0 ? 6 : 4 }),
          h('text', { x: 4, y: y + 4 }, `${seconds(e.event.t)} ${label(e)}`.slice(0, 60)),
        ],
      ),
    );
  });
  return h('div', { class: 'diagram', role: 'region', 'aria-label': 'sequence diagram' }, [
    h(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, xmlns: 'http://www.w3.org/2000/svg' },
      [
        h(
          'defs',
          null,
          h(
            'marker',
            { id: 'arrowhead', markerWidth: 8, markerHeight: 8, refX: 6, refY: 4, orient: 'auto' },
            h('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrowhead' }),
          ),
        ),
        ...items,
      ],
    ),
  ]);
}

function EventDetail(props: { e: WatchEvent | undefined }): ComponentChild {
  const { e } = props;
  if (e === undefined)
    return h('section', { class: 'panel detail' }, h('p', { class: 'muted' }, 'No event.'));
  const regs = registerNotes(e.event);
  return h(
    'section',
    { class: 'panel detail', 'aria-label': 'event detail', 'data-ev': e.event.ev },
    [
      h('h3', null, `${e.index + 1}. ${e.layer}: ${e.event.ev}`),
      h('p', { class: 'muted' }, `t = ${seconds(e.event.t)} s · ${e.event.src}`),
      regs.length === 0
        ? null
        : h('table', { class: 'kv' }, [
            h(
              'tbody',
              null,
              regs.map((r) =>
                h('tr', null, [
                  h('th', null, r.name),
                  h('td', { class: 'val' }, r.value),
                  h('td', { class: 'muted' }, r.note),
                ]),
              ),
            ),
          ]),
      e.writes.length === 0
        ? h('p', { class: 'muted' }, 'No guest-memory writes before this event.')
        : h('div', null, [
            h(
              'h4',
              null,
              `Bytes written to guest memory (${e.writes.length} writes, in order: ${e.writes
                .map((w) => `${w.bytes.length} B @ 0x${w.gpa.toString(16)}`)
                .join(', ')})`,
            ),
            ...mergeWrites(e.writes).map((w, i) =>
              h('div', { class: 'write', key: i }, [
                h('p', null, [
                  `${w.memory} 0x${w.gpa.toString(16)}–0x${(w.gpa + BigInt(w.bytes.length)).toString(16)}, ${w.bytes.length} bytes `,
                  w.bytes.length >= 20
                    ? h(
                        'a',
                        {
                          href: routeHash('decode', { in: bytesToHex(w.bytes) }),
                          'data-decode': '',
                        },
                        'decode',
                      )
                    : null,
                ]),
                h(
                  'pre',
                  { class: 'dump' },
                  hexDumpLines(w.bytes.subarray(0, 256)).join('\n') +
                    (w.bytes.length > 256 ? `\n… ${w.bytes.length - 256} more bytes` : ''),
                ),
              ]),
            ),
          ]),
    ],
  );
}

function Outcome(props: { run: WatchRun }): ComponentChild {
  const o = props.run.outcome;
  const killed = o.killed.map((k) => `${k.comm}:${k.pid} (${k.code})`).join(', ');
  return h('section', { class: 'panel outcome', 'aria-label': 'outcome' }, [
    h('h3', null, [
      'Outcome ',
      h(
        'span',
        { class: `badge ${o.failures.length === 0 ? 'ok' : 'bad'}` },
        o.failures.length === 0 ? 'as expected' : 'FAILED',
      ),
    ]),
    h('table', { class: 'kv' }, [
      h(
        'tbody',
        null,
        [
          ['guest panic', o.guestPanic ?? 'none'],
          ['host panic', o.hostPanic ?? 'none'],
          ['processes killed', killed === '' ? 'none' : killed],
          ['pages offlined', o.offlined.length === 0 ? 'none' : o.offlined.join(', ')],
          ['records delivered', String(o.recordsDelivered)],
          ['records lost', String(o.recordsLost)],
          ['events', String(o.eventsRun)],
        ].map(([k, v]) => h('tr', null, [h('th', null, k), h('td', null, v)])),
      ),
    ]),
    o.failures.length === 0
      ? null
      : h(
          'ul',
          { class: 'findings' },
          o.failures.map((f) => h('li', { class: 'error' }, f)),
        ),
  ]);
}

function PpcTable(): ComponentChild {
  const cells = useMemo(
    () => runWatch(findScenario('ppc-compat-matrix'), 1n).outcome.cells ?? [],
    [],
  );
  const cell = (k: string, v: string, w: string) =>
    cells.find((c) => c.kernel === k && c.vmm === v && c.where === w)?.result ?? '—';
  return h('section', { class: 'panel ppc', 'aria-label': 'PowerPC outcomes' }, [
    h('h3', null, 'PowerPC: UE outcome by host kernel (KVM_EXIT_NMI) × VMM (FWNMI)'),
    ...(['user', 'kernel'] as const).map((w) =>
      h('table', { class: 'grid' }, [
        h('caption', null, `UE in ${w === 'user' ? 'a user process' : 'the guest kernel'}`),
        h(
          'thead',
          null,
          h('tr', null, [h('th', null, ''), h('th', null, 'old VMM'), h('th', null, 'new VMM')]),
        ),
        h(
          'tbody',
          null,
          (['old', 'new'] as const).map((k) =>
            h('tr', null, [
              h('th', null, `${k} kernel`),
              ...(['old', 'new'] as const).map((v) => {
                const r = cell(k, v, w);
                return h('td', { class: `badge-cell ${r}`, 'data-cell': `${k}-${v}-${w}` }, r);
              }),
            ]),
          ),
        ),
      ]),
    ),
  ]);
}

function Bars(props: {
  title: string;
  data: readonly (readonly [string, number])[];
}): ComponentChild {
  const max = Math.max(1, ...props.data.map(([, v]) => v));
  const w = 420;
  const bh = 18;
  return h('figure', { class: 'chart' }, [
    h('figcaption', null, props.title),
    h(
      'svg',
      { width: w, height: props.data.length * (bh + 6), role: 'img', 'aria-label': props.title },
      [
        ...props.data.flatMap(([k, v], i) => {
          const y = i * (bh + 6);
          const len = Math.max(v === 0 ? 0 : 2, Math.round(((w - 240) * v) / max));
          return [
            h('text', { x: 0, y: y + 13 }, k),
            h('rect', { x: 150, y, width: len, height: bh, class: 'bar' }),
            h('text', { x: 156 + len, y: y + 13, class: 'num' }, v.toLocaleString('en')),
          ];
        }),
      ],
    ),
  ]);
}

/** The most VM-hours the page simulates in one click (field rates: about a second here). */
const MAX_VM_HOURS = 50_000;

function Campaign(): ComponentChild {
  const [vms, setVms] = useState('50');
  const [hours, setHours] = useState('720');
  const [mix, setMix] = useState<'field' | 'uncorrected'>('field');
  const [summary, setSummary] = useState<CampaignSummary | undefined>(undefined);
  const [error, setError] = useState('');
  const run = () => {
    try {
      const n = Number(vms);
      const hrs = Number(hours);
      if (!Number.isInteger(n) || n < 1 || n > 2000)
        throw new Error(`VMs must be 1–2000, got ${JSON.stringify(vms)}`);
      if (!(hrs > 0 && hrs <= 87600))
        throw new Error(
          `hours must be more than 0 and at most 87600, got ${JSON.stringify(hours)}`,
        );
      // The page runs it on the UI thread: keep it to seconds (the CLI has no such limit).
      if (n * hrs > MAX_VM_HOURS) {
        throw new Error(
          `${n} VMs × ${hrs} h is more than the page runs (${MAX_VM_HOURS.toLocaleString('en')} VM-hours): use vras campaign`,
        );
      }
      setError('');
      setSummary(runSmallCampaign(n, hrs, 1n, mix));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const s = summary;
  return h('section', { class: 'panel campaign', 'aria-label': 'campaign' }, [
    h('h3', null, 'Campaign: many VMs under field-study DRAM error rates'),
    h('div', { class: 'row' }, [
      h('label', { class: 'field' }, [
        h('span', null, 'VMs'),
        h('input', {
          name: 'vms',
          value: vms,
          onInput: (e: Event) => setVms((e.target as HTMLInputElement).value),
        }),
      ]),
      h('label', { class: 'field' }, [
        h('span', null, 'hours'),
        h('input', {
          name: 'hours',
          value: hours,
          onInput: (e: Event) => setHours((e.target as HTMLInputElement).value),
        }),
      ]),
      h('label', { class: 'field' }, [
        h('span', null, 'error mix'),
        h(
          'select',
          {
            name: 'mix',
            value: mix,
            onChange: (e: Event) =>
              setMix(
                (e.target as HTMLSelectElement).value === 'uncorrected' ? 'uncorrected' : 'field',
              ),
          },
          [
            h('option', { value: 'field' }, 'field-study rates'),
            h('option', { value: 'uncorrected' }, 'uncorrected only'),
          ],
        ),
      ]),
      h('button', { onClick: run, name: 'run-campaign' }, 'Run campaign'),
      h(
        'span',
        { class: 'muted' },
        `vras campaign --vms ${vms} --hours ${hours} --seed 1${mix === 'field' ? '' : ' --mix uncorrected'}`,
      ),
    ]),
    error === '' ? null : h('div', { class: 'error', role: 'alert' }, error),
    s === undefined
      ? null
      : h('div', { class: 'charts', 'data-errors': s.errors }, [
          h(Bars, {
            title: `${s.errors.toLocaleString('en')} errors in ${s.vms} VMs over ${s.simulatedHours} h`,
            data: [
              ['corrected', s.correctedErrors],
              ['uncorrected', s.uncorrectedErrors],
              ['through every layer', s.fullStackErrors],
              ['fast path', s.fastPathErrors],
            ],
          }),
          h(Bars, {
            title: 'what happened',
            data: [
              ['records delivered', s.recordsDelivered],
              ['records lost', s.recordsLost],
              ['processes killed', s.processKills],
              ['pages offlined', s.pagesOfflined],
              ['guest panics', s.guestPanics],
              ['host panics', s.hostPanics],
            ],
          }),
        ]),
  ]);
}

export function WatchView(props: { params: URLSearchParams }): ComponentChild {
  const p = props.params;
  const names = useMemo(scenarioNames, []);
  const [name, setName] = useState(p.get('s') ?? 'ar-sea');
  const [seed, setSeed] = useState(p.get('seed') ?? '1');
  const [kernel, setKernel] = useState<KernelVersion>(
    (p.get('k') as KernelVersion | null) ?? '6.1',
  );
  const [json, setJson] = useState(p.get('j') ?? '');
  const [step, setStepRaw] = useState(Number(p.get('step') ?? 0) || 0);
  const result = useMemo((): { run: WatchRun } | { error: string } => {
    try {
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(seed.trim()))
        throw new Error(`seed must be a decimal or 0x hex number, got ${JSON.stringify(seed)}`);
      return { run: runWatch(findScenario(name, json), BigInt(seed.trim()), kernel) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [name, seed, kernel, json]);
  const count = 'run' in result ? result.run.events.length : 0;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  const setStep = (i: number) => setStepRaw(clamp(i));
  /** Relative moves read the latest step, so fast key repeats are not lost between renders. */
  const moveStep = (d: number) => setStepRaw((s) => clamp(s + d));
  useEffect(() => {
    writeRoute('watch', {
      s: json.trim() === '' ? name : undefined,
      // A pasted scenario travels in the link too, when it fits.
      j: json.trim() !== '' && json.length <= MAX_URL_INPUT ? json : undefined,
      seed: seed === '1' ? undefined : seed,
      k: kernel === '6.1' ? undefined : kernel,
      step: String(step),
    });
  }, [name, seed, kernel, step, json]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') return;
      if (e.key === 'ArrowRight' || e.key === 'j') moveStep(1);
      else if (e.key === 'ArrowLeft' || e.key === 'k') moveStep(-1);
      else if (e.key === 'Home') setStep(0);
      else if (e.key === 'End') setStep(count - 1);
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });
  useEffect(() => {
    document.querySelector('.diagram .ev.cur')?.scrollIntoView({ block: 'nearest' });
  }, [step]);
  return h('div', { class: 'view watch' }, [
    h('section', { class: 'panel' }, [
      h('div', { class: 'row' }, [
        h('label', { class: 'field' }, [
          h('span', null, 'scenario'),
          h(
            'select',
            {
              name: 'scenario',
              value: name,
              onChange: (e: Event) => {
                setName((e.target as HTMLSelectElement).value);
                setJson('');
                setStepRaw(0);
              },
            },
            names.map((n) => h('option', { value: n }, n)),
          ),
        ]),
        h('label', { class: 'field' }, [
          h('span', null, 'seed'),
          h('input', {
            name: 'seed',
            value: seed,
            style: { width: '6em' },
            onInput: (e: Event) => {
              setSeed((e.target as HTMLInputElement).value);
              setStepRaw(0);
            },
          }),
        ]),
        h('label', { class: 'field' }, [
          h('span', null, 'guest kernel'),
          h(
            'select',
            {
              name: 'kernel',
              value: kernel,
              onChange: (e: Event) => {
                setKernel((e.target as HTMLSelectElement).value as KernelVersion);
                setStepRaw(0);
              },
            },
            KERNELS.map((k) => h('option', { value: k }, k)),
          ),
        ]),
        h(
          'span',
          { class: 'muted' },
          `vras simulate ${name} --seed ${seed}${kernel === '6.1' ? '' : ` --kernel ${kernel}`}`,
        ),
      ]),
      h('details', { open: p.has('j') }, [
        h('summary', null, 'Run a scenario pasted as JSON (vras/scenario/v1)'),
        h('textarea', {
          name: 'scenario-json',
          rows: 6,
          value: json,
          spellcheck: false,
          placeholder: '{"schema": "vras/scenario/v1", …}',
          onInput: (e: Event) => {
            setJson((e.target as HTMLTextAreaElement).value);
            setStepRaw(0);
          },
        }),
      ]),
    ]),
    'error' in result
      ? h('div', { class: 'error', role: 'alert' }, result.error)
      : h('div', null, [
          h('p', { class: 'muted' }, findScenario(name, json).summary),
          h('div', { class: 'row stepper', role: 'toolbar', 'aria-label': 'steps' }, [
            h('button', { onClick: () => setStep(0), 'aria-label': 'first event' }, 'first'),
            h(
              'button',
              { onClick: () => moveStep(-1), 'aria-label': 'back', name: 'back' },
              '◀ back',
            ),
            h(
              'button',
              { onClick: () => moveStep(1), 'aria-label': 'forward', name: 'forward' },
              'forward ▶',
            ),
            h('button', { onClick: () => setStep(count - 1), 'aria-label': 'last event' }, 'last'),
            h(
              'span',
              { class: 'step', 'data-step': step },
              `event ${Math.min(step, count - 1) + 1} of ${count}`,
            ),
            h('span', { class: 'muted' }, '← → or j k to step; click an event'),
          ]),
          h(Diagram, { run: result.run, step, setStep }),
          h('div', { class: 'panes watch-panes' }, [
            h(EventDetail, { e: result.run.events[step] }),
            h(Outcome, { run: result.run }),
          ]),
        ]),
    h(PpcTable, null),
    h(Campaign, null),
  ]);
}

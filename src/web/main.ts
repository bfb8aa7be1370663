// The page's entry: a header with the three views (Decode, Build, Watch) and a theme switch. The
// view and its state come from the URL hash (url.ts), so a link reopens what was shown. Any error
// while drawing a view is shown as a message in its place: the page is never blank.

import * as preact from 'preact';
import { type ComponentChild, h, render } from 'preact';
import * as hooks from 'preact/hooks';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { type Route, readRoute, routeHash, VIEWS, type View } from './url.js';
import { BuildView } from './views/build-view.js';
import { DecodeView } from './views/decode-view.js';
import type { WatchView as WatchViewType } from './views/watch-view.js';

// watch.js (the simulator) uses this preact: one instance, so its hooks work.
Object.assign(globalThis, { vrasPreact: preact, vrasPreactHooks: hooks });

type WatchModule = { WatchView: typeof WatchViewType };
let watchLoad: Promise<WatchModule> | undefined;

/** Loads watch.js once (a classic script beside app.js, so it works from file:// too). */
function loadWatch(): Promise<WatchModule> {
  watchLoad ??= new Promise<WatchModule>((resolve, reject) => {
    const g = globalThis as { vrasWatch?: WatchModule };
    if (g.vrasWatch !== undefined) return resolve(g.vrasWatch);
    const s = document.createElement('script');
    const here = document.querySelector<HTMLScriptElement>('script[src$="app.js"]')?.src;
    s.src = here === undefined ? 'watch.js' : here.replace(/app\.js$/, 'watch.js');
    s.onload = () =>
      g.vrasWatch === undefined
        ? reject(new Error('watch.js did not start'))
        : resolve(g.vrasWatch);
    s.onerror = () => reject(new Error('Cannot load watch.js (the simulator) beside app.js'));
    document.head.append(s);
  });
  return watchLoad;
}

/** The Watch view, once watch.js is here; a message while it loads or if it cannot. */
function LazyWatch(props: { params: URLSearchParams }): ComponentChild {
  const [mod, setMod] = useState<WatchModule | undefined>(
    (globalThis as { vrasWatch?: WatchModule }).vrasWatch,
  );
  const [error, setError] = useState('');
  useEffect(() => {
    if (mod === undefined) {
      loadWatch().then(setMod, (e: Error) => {
        watchLoad = undefined;
        setError(e.message);
      });
    }
  }, [mod]);
  if (error !== '') return h('div', { class: 'error', role: 'alert' }, error);
  if (mod === undefined) return h('p', { class: 'muted' }, 'Loading the simulator…');
  return h(mod.WatchView, { params: props.params });
}

const TITLES: Record<View, string> = { decode: 'Decode', build: 'Build', watch: 'Watch' };

type Theme = 'auto' | 'light' | 'dark';

function storedTheme(): Theme {
  try {
    const t = localStorage.getItem('vras-theme');
    return t === 'light' || t === 'dark' ? t : 'auto';
  } catch {
    return 'auto'; // storage refused (file://, private mode): follow the system
  }
}

function applyTheme(t: Theme): void {
  if (t === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  try {
    localStorage.setItem('vras-theme', t);
  } catch {
    // not kept; fine
  }
}

function Guarded(props: { children?: ComponentChild; name: string }): ComponentChild {
  const [error, reset] = useErrorBoundary();
  if (error !== undefined) {
    return h('div', { class: 'error', role: 'alert' }, [
      h('b', null, `The ${props.name} view failed: `),
      String((error as Error)?.message ?? error),
      ' ',
      h('button', { onClick: () => reset() }, 'Try again'),
    ]);
  }
  return props.children ?? null;
}

function App(): ComponentChild {
  const [route, setRoute] = useState<Route>(() => readRoute());
  const [theme, setTheme] = useState<Theme>(storedTheme);
  useEffect(() => {
    // Only navigation (back/forward, a pasted link) re-reads the URL; views write it as they change.
    const onPop = () => setRoute(readRoute());
    addEventListener('popstate', onPop);
    addEventListener('hashchange', onPop);
    return () => {
      removeEventListener('popstate', onPop);
      removeEventListener('hashchange', onPop);
    };
  }, []);
  useEffect(() => applyTheme(theme), [theme]);
  const go = (view: View) => {
    history.pushState(null, '', routeHash(view, {}));
    setRoute(readRoute());
  };
  const key = `${route.view}:${route.params.toString()}`;
  let body: ComponentChild;
  if (route.view === 'build') body = h(BuildView, { params: route.params, key });
  else if (route.view === 'watch') body = h(LazyWatch, { params: route.params, key });
  else body = h(DecodeView, { params: route.params, key });
  const nextTheme: Record<Theme, Theme> = { auto: 'dark', dark: 'light', light: 'auto' };
  return h('div', { class: 'app' }, [
    h('header', null, [
      h('h1', null, ['vras ', h('span', { class: 'muted' }, 'firmware-first RAS for VMs')]),
      h(
        'nav',
        { role: 'tablist', 'aria-label': 'views' },
        VIEWS.map((v) =>
          h(
            'button',
            {
              role: 'tab',
              id: `tab-${v}`,
              'aria-selected': route.view === v,
              class: route.view === v ? 'tab on' : 'tab',
              onClick: () => go(v),
              onKeyDown: (e: KeyboardEvent) => {
                if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
                const i = VIEWS.indexOf(v) + (e.key === 'ArrowRight' ? 1 : -1);
                const next = VIEWS[(i + VIEWS.length) % VIEWS.length]!;
                go(next);
                document.getElementById(`tab-${next}`)?.focus();
              },
            },
            TITLES[v],
          ),
        ),
      ),
      h(
        'button',
        {
          class: 'theme',
          'aria-label': `theme: ${theme} (switch)`,
          title: 'light / dark / system theme',
          onClick: () => setTheme(nextTheme[theme]),
        },
        theme === 'auto' ? '◐ system' : theme === 'dark' ? '● dark' : '○ light',
      ),
    ]),
    h(
      'main',
      { role: 'tabpanel', 'aria-labelledby': `tab-${route.view}` },
      h(Guarded, { name: TITLES[route.view], key }, body),
    ),
  ]);
}

const root = document.getElementById('app');
if (root !== null) {
  try {
    root.textContent = '';
    render(h(App, null), root);
  } catch (error) {
    root.textContent = `The page failed to start: ${(error as Error).message}`;
  }
}

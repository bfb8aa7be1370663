// The second script of the page (watch.js): the Watch view with the simulator and scenarios,
// loaded by main.ts the first time the view opens. It hands its component to the page through a
// global, and takes preact from app.js (scripts/build-web.mjs maps the import).

import { WatchView } from './views/watch-view.js';

(globalThis as { vrasWatch?: { WatchView: typeof WatchView } }).vrasWatch = { WatchView };
dispatchEvent(new Event('vras-watch-loaded'));

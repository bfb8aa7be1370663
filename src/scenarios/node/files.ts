// Node-side loader for the JSON scenarios shipped beside the catalogue (src/scenarios/*.json).
// Kept out of the scenario index so the catalogue stays browser-safe; the CLI and the tests
// call loadScenarioFiles() once before looking scenarios up.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../../node-util/repo-root.js';
import { registerScenarios, type Scenario, scenarioFromJson } from '../index.js';

export const SCENARIO_DIR = repoPath('src', 'scenarios');

let loaded: Scenario[] | undefined;

/** Reads, checks and registers every `*.json` scenario in `dir`; returns them (cached). */
export function loadScenarioFiles(dir = SCENARIO_DIR): Scenario[] {
  if (loaded !== undefined && dir === SCENARIO_DIR) return loaded;
  const list = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => scenarioFromJson(JSON.parse(readFileSync(join(dir, f), 'utf8')), f));
  registerScenarios(list);
  if (dir === SCENARIO_DIR) loaded = list;
  return list;
}

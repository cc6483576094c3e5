import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'adaptivecards-templating';
import type { AdaptiveCardJson, CardDataByTemplate, CardTemplateName } from './card-data';

export const cardTemplateNames: readonly CardTemplateName[] = [
  'shell',
  'case-view',
  'talk-form',
  'colleague-view',
  'notice',
  'expiry-notice',
  'intake-form',
];

function findCardsDirectory(): string {
  // Runs from src/ under tsx and from dist/src/ when built: the templates sit at the package root.
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'cards');
    if (existsSync(path.join(candidate, 'shell.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cards/ with the Adaptive Card templates was not found');
    dir = parent;
  }
}

// The parsed JSON is cached, not the Template: a Template keeps the data of its last expansion
// (`_context`), which for a view is the pupil's name, for as long as the Template lives.
const templates = new Map<CardTemplateName, unknown>();

function templateJson(name: CardTemplateName): unknown {
  let json = templates.get(name);
  if (json === undefined) {
    json = JSON.parse(readFileSync(path.join(findCardsDirectory(), `${name}.json`), 'utf8'));
    new Template(json); // parses now, so a broken template fails at start-up
    templates.set(name, json);
  }
  return json;
}

/** Expands a template with its typed data. The result is a fresh object the caller may change. */
export function renderCard<N extends CardTemplateName>(
  name: N,
  data: CardDataByTemplate[N],
): AdaptiveCardJson {
  const card = new Template(templateJson(name)).expand({ $root: data }) as AdaptiveCardJson;
  delete card.$schema;
  return card;
}

/** Loads every template once at start-up, so a broken template stops the bot before it is needed. */
export function preloadCardTemplates(): void {
  for (const name of cardTemplateNames) templateJson(name);
}

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

const templates = new Map<CardTemplateName, Template>();

function templateFor(name: CardTemplateName): Template {
  let template = templates.get(name);
  if (!template) {
    const json: unknown = JSON.parse(readFileSync(path.join(findCardsDirectory(), `${name}.json`), 'utf8'));
    template = new Template(json);
    templates.set(name, template);
  }
  return template;
}

/** Expands a template with its typed data. The result is a fresh object the caller may change. */
export function renderCard<N extends CardTemplateName>(
  name: N,
  data: CardDataByTemplate[N],
): AdaptiveCardJson {
  const card = templateFor(name).expand({ $root: data }) as AdaptiveCardJson;
  delete card.$schema;
  return card;
}

/** Loads every template once at start-up, so a broken template stops the bot before it is needed. */
export function preloadCardTemplates(): void {
  for (const name of cardTemplateNames) templateFor(name);
}

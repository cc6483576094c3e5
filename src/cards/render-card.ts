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
  'confirm',
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

// The Template is parsed once per card: parsing its `${…}` expressions is most of a render's cost.
// A Template keeps the data of its last expansion (`_context`: for a view, the pupil's name), so
// `renderCard` strips every field but the parsed payload before it returns: no card's data
// outlives its render, also if a later version of the library names its fields differently.
const templates = new Map<CardTemplateName, Template>();
const PARSED_PAYLOAD = '_preparedPayload';

function templateOf(name: CardTemplateName): Template {
  let template = templates.get(name);
  if (template === undefined) {
    // Parses now, so a broken template fails at start-up.
    template = new Template(
      JSON.parse(readFileSync(path.join(findCardsDirectory(), `${name}.json`), 'utf8')),
    );
    if (!Object.keys(template).includes(PARSED_PAYLOAD)) {
      throw new Error(`adaptivecards-templating changed: a Template has no ${PARSED_PAYLOAD}`);
    }
    templates.set(name, template);
  }
  return template;
}

/** Expands a template with its typed data. The result is a fresh object the caller may change. */
export function renderCard<N extends CardTemplateName>(
  name: N,
  data: CardDataByTemplate[N],
): AdaptiveCardJson {
  const template = templateOf(name);
  try {
    const card = template.expand({ $root: data }) as AdaptiveCardJson;
    delete card.$schema;
    return card;
  } finally {
    // Synchronous from expand to here, so no other render comes between.
    const fields = template as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (key !== PARSED_PAYLOAD) delete fields[key];
  }
}

/** Loads every template once at start-up, so a broken template stops the bot before it is needed. */
export function preloadCardTemplates(): void {
  for (const name of cardTemplateNames) templateOf(name);
}

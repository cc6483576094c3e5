import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'adaptivecards-templating';
import type { AdaptiveCardJson, CardDataByTemplate, CardTemplateName } from './card-data';
import { compileTemplate } from './compile-template';

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

function readTemplate(name: CardTemplateName): unknown {
  return JSON.parse(readFileSync(path.join(findCardsDirectory(), `${name}.json`), 'utf8'));
}

// Each template is compiled once into a function over its JSON tree (compile-template.ts): a render
// evaluates its `${…}` bindings without parsing them again, and without the adaptive-expressions
// machinery that made up most of a view's time. The compiled functions hold the template's
// constants only; the data of a render reaches them as arguments, so nothing of it outlives the
// render. The cards stay JSON templates that designers edit, in the subset compile-template.ts
// documents; a template outside it fails at start-up (preloadCardTemplates).
const compiled = new Map<CardTemplateName, (data: unknown) => unknown>();

function compiledOf(name: CardTemplateName): (data: unknown) => unknown {
  let expand = compiled.get(name);
  if (expand === undefined) {
    expand = compileTemplate(readTemplate(name), `cards/${name}.json`);
    compiled.set(name, expand);
  }
  return expand;
}

// adaptivecards-templating itself: the reference the compiled templates are tested against
// (test/cards/cards.test.ts), not used by the app. A Template keeps the data of its last expansion
// (`_context`: for a view, the pupil's name), so every field but the parsed payload is stripped
// after each expansion.
const libraryTemplates = new Map<CardTemplateName, Template>();
const PARSED_PAYLOAD = '_preparedPayload';
let useLibrary = false;

function expandWithLibrary(name: CardTemplateName, data: unknown): unknown {
  let template = libraryTemplates.get(name);
  if (template === undefined) {
    template = new Template(readTemplate(name));
    libraryTemplates.set(name, template);
  }
  try {
    return template.expand({ $root: data });
  } finally {
    // Synchronous from expand to here, so no other render comes between.
    const fields = template as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (key !== PARSED_PAYLOAD) delete fields[key];
  }
}

/**
 * Renders with adaptivecards-templating instead of the compiled templates, while `on`: for the
 * test that proves both give the same cards. The app never calls it.
 */
export function renderWithTemplatingLibrary(on: boolean): void {
  useLibrary = on;
}

/** Expands a template with its typed data. The result is a fresh object the caller may change. */
export function renderCard<N extends CardTemplateName>(
  name: N,
  data: CardDataByTemplate[N],
): AdaptiveCardJson {
  const card = (useLibrary ? expandWithLibrary(name, data) : compiledOf(name)(data)) as AdaptiveCardJson;
  delete card.$schema;
  return card;
}

/** Compiles every template once at start-up, so a broken template stops the bot before it is needed. */
export function preloadCardTemplates(): void {
  for (const name of cardTemplateNames) compiledOf(name);
}

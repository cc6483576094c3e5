import { createRequire } from 'node:module';

// adaptivecards' lib/ build cannot be loaded in Node 20 (extensionless ESM imports); the
// dist bundle can, and it is the same parser and validator Teams' renderer is built on.
const requireCjs = createRequire(__filename);

interface ValidationEvent {
  message: string;
}
interface AdaptiveCardInstance {
  parse(json: unknown, context: unknown): void;
  validateProperties(): { validationEvents: ValidationEvent[] };
}
interface AdaptiveCardsModule {
  AdaptiveCard: new () => AdaptiveCardInstance;
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): ValidationEvent };
}

const adaptiveCards = requireCjs('adaptivecards/dist/adaptivecards.js') as AdaptiveCardsModule;

/** Every problem the Adaptive Cards parser and validator find; an empty list for a valid card. */
export function cardProblems(json: unknown): string[] {
  const problems: string[] = [];
  const card = json as { type?: unknown; version?: unknown };
  if (card.type !== 'AdaptiveCard') problems.push('not an AdaptiveCard');
  if (card.version !== '1.5') problems.push(`version ${String(card.version)}, expected 1.5 (Teams' maximum)`);
  const instance = new adaptiveCards.AdaptiveCard();
  const context = new adaptiveCards.SerializationContext();
  instance.parse(json, context);
  for (let i = 0; i < context.eventCount; i++) problems.push(context.getEventAt(i).message);
  for (const event of instance.validateProperties().validationEvents) problems.push(event.message);
  const text = JSON.stringify(json);
  // Teams fills a ChoiceSet with `choices.data` (the people picker) as the user types; this SDK
  // version does not know that, so an empty static list is fine there and only there.
  const emptyChoiceSet = 'An Input.ChoiceSet must have at least one choice defined.';
  const dynamicSets = (text.match(/"choices\.data":/g) ?? []).length;
  for (let i = 0; i < dynamicSets; i++) {
    const index = problems.indexOf(emptyChoiceSet);
    if (index >= 0) problems.splice(index, 1);
  }
  if (text.includes('${')) problems.push('unexpanded template expression');
  return problems;
}

/** Every `data` object of every action in a card, including the refresh action. */
export function actionData(json: unknown): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.type === 'string' && record.type.startsWith('Action.') && record.data) {
        found.push(record.data as Record<string, unknown>);
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(json);
  return found;
}

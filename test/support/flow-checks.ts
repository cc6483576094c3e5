import assert from 'node:assert/strict';
import { assertNoPupilData } from './fixtures';
import type { TestApp } from './test-app';

// A card goes out with createConversation, or as a send or reply in the chat, as botbuilder chooses.
export const posting = new Set(['create', 'send', 'reply']);

export function cardText(card: unknown): string {
  return JSON.stringify(card ?? null);
}

/**
 * Whatever a test did: nothing of the pupil in any posted or updated activity, or any log line;
 * nor any of `alsoAbsent` (what was agreed with the pupil, say).
 */
export function assertNothingLeaked(t: TestApp, alsoAbsent: readonly string[] = []): void {
  for (const activity of t.connector.activities) {
    const body = JSON.stringify(activity.body);
    assertNoPupilData(body, `a ${activity.kind} activity`);
    for (const text of alsoAbsent) assert.ok(!body.includes(text), 'an activity holds what was agreed');
  }
  const log = t.logs.text();
  assertNoPupilData(log, 'the log');
  for (const text of alsoAbsent) assert.ok(!log.includes(text), 'the log holds what was agreed');
}

/** The privacy check, then the app stops, also when the check fails. */
export async function stopAfterPrivacyCheck(t: TestApp, alsoAbsent: readonly string[] = []): Promise<void> {
  try {
    assertNothingLeaked(t, alsoAbsent);
  } finally {
    await t.stop();
  }
}

/** Polls until `predicate` holds, for things the app finishes after its answer (cards, notices). */
export async function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

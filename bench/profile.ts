/**
 * `npx tsx bench/profile.ts view|intake` (or with `node --cpu-prof --import tsx`): one product,
 * memory store, on loopback, driven with views or intakes for a while, so that a CPU profile shows
 * where a step's time goes in steady state (startup is over after the warm-up). Prints the mean
 * time per step, driver included: compare runs with each other, not with `npm run bench`.
 * PROFILE_STEPS sets how many (default 6000 views, 600 intakes).
 */
import { inventPeople, inventSchool, sleep, startProduct } from './harness';

const PUPIL = { name: 'Anna de Vries', birthDate: '2016-01-02' };

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'view' && mode !== 'intake') throw new Error('usage: bench/profile.ts view|intake');
  const steps = Number(process.env.PROFILE_STEPS ?? (mode === 'view' ? 6000 : 600));
  // Forty schools, one coordinator each: intakes spread over forty chats, as Teams' per-chat limit asks.
  const schools = Array.from({ length: 40 }, (_, i) => inventSchool(i, inventPeople(1)));
  const product = await startProduct({
    schools,
    members: schools.flatMap((s) => s.coordinators),
    clock: () => new Date(),
  });
  const intake = (i: number) =>
    product.client.postSignal({ schoolId: schools[i % schools.length]!.id, pupil: PUPIL, source: 'police' });
  try {
    let busy = 0;
    if (mode === 'view') {
      await intake(0);
      await sleep(300);
      const caseId = /"caseId":"([0-9a-f-]{36})"/.exec(
        JSON.stringify(product.tracked.connector.activities),
      )?.[1];
      if (!caseId) throw new Error('the product posted no card');
      const who = schools[0]!.coordinators[0]!.id;
      for (let i = 0; i < 300; i++) await product.client.invoke(who, 'case.view', { caseId });
      const started = performance.now();
      for (let i = 0; i < steps; i++) await product.client.invoke(who, 'case.view', { caseId });
      busy = performance.now() - started;
    } else {
      for (let i = 0; i < 80; i++) await intake(i);
      await sleep(2100);
      for (let i = 0; i < steps; i += 20) {
        const started = performance.now();
        for (let k = 0; k < 20; k++) await intake(i + k);
        busy += performance.now() - started;
        // Under Teams' 50 calls per second per tenant and 8 per 2 s per chat.
        await sleep(1000);
      }
    }
    console.log(`${mode}: ${(busy / steps).toFixed(3)} ms per step over ${steps} steps`);
  } finally {
    await product.stop();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

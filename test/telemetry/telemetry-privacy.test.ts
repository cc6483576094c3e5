import assert from 'node:assert/strict';
import { InMemoryLogRecordExporter, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import {
  assertNoPupilData,
  coordinatorA,
  coordinatorB,
  groupTeacher,
  gymTeacher,
  signal,
} from '../support/fixtures';
import { posting } from '../support/flow-checks';
import { testRedis, type TestRedis } from '../support/redis';
import { startTestApp, TEST_API_KEY, type TestApp } from '../support/test-app';

// A closed local port: the Azure exporter has somewhere to fail, and nothing leaves the machine.
const LOCAL_ONLY =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/';

/** Every case id on a card the bot posted so far, in order. */
function caseIdsOn(t: TestApp): string[] {
  return [
    ...new Set(
      t.connector.activities
        .filter((a) => posting.has(a.kind))
        .flatMap((a) =>
          [...JSON.stringify(a.body).matchAll(/"caseId":"([0-9a-f-]{36})"/g)].map((m) => m[1]!),
        ),
    ),
  ];
}

describe('telemetry without a pupil in it', function () {
  let test: TestApp | undefined;
  const saved = { ...process.env };
  before(() => {
    process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
    process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
  });
  after(() => {
    for (const key of ['APPLICATION_INSIGHTS_NO_STATSBEAT', 'APPLICATIONINSIGHTS_STATSBEAT_DISABLED'])
      if (saved[key] === undefined) delete process.env[key];
  });
  let redis: TestRedis | undefined;
  afterEach(async () => {
    await test?.stop();
    test = undefined;
    await redis?.cleanup();
    redis = undefined;
  });

  const stores: [string, boolean][] = [
    ['in memory', false],
    ['on Redis', true],
  ];
  for (const [where, onRedis] of stores) {
    it(`records requests, Teams and Redis calls, metrics and correlated logs through whole flows, and never the pupil (${where})`, async function () {
      this.timeout(60_000);
      const spans = new InMemorySpanExporter();
      const logs = new InMemoryLogRecordExporter();
      const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      const reader = new PeriodicExportingMetricReader({
        exporter: metricExporter,
        exportIntervalMillis: 3_600_000,
      });
      redis = onRedis ? await testRedis() : undefined;
      test = await startTestApp({
        env: {
          APPLICATIONINSIGHTS_CONNECTION_STRING: LOCAL_ONLY,
          ...(redis ? redis.appEnv : {}),
        },
        start: {
          telemetry: {
            spanProcessors: [new SimpleSpanProcessor(spans)],
            metricReaders: [reader],
            logRecordProcessors: [new SimpleLogRecordProcessor({ exporter: logs })],
          },
        },
      });
      const t = test;
      const newCase = async (): Promise<string> => {
        const before = new Set(caseIdsOn(t));
        const posted = await t.postSignal(signal, { 'X-API-Key': TEST_API_KEY });
        assert.equal(posted.status, 201, posted.body);
        await t.settled();
        const caseId = caseIdsOn(t).find((id) => !before.has(id));
        assert.ok(caseId, 'a card for the case');
        return caseId;
      };
      const press = async (who: string, verb: string, data: Record<string, unknown>) => {
        const res = await t.invoke(who, verb, data);
        assert.equal(res.status, 200, `${verb}: ${res.text.slice(0, 200)}`);
        await t.settled();
      };

      // The police morning: view, claim, talk, two colleagues read it, the parents step closes it.
      const caseId = await newCase();
      await press(coordinatorA.id, 'case.view', { caseId });
      await press(coordinatorA.id, 'case.claim', { caseId });
      await press(coordinatorA.id, 'case.record-talk', {
        caseId,
        support: 'quiet-spot',
        note: 'Mag even naar de gang',
        others: `${groupTeacher.id},${gymTeacher.id}`,
        nobody: 'false',
      });
      for (const colleague of [groupTeacher, gymTeacher]) {
        await press(colleague.id, 'colleague.view', { caseId });
        await press(colleague.id, 'colleague.acknowledge', { caseId });
      }
      await press(coordinatorA.id, 'case.record-parents', { caseId, parents: 'not-now' });
      // And a signal for a pupil who is not ours.
      const other = await newCase();
      await press(coordinatorB.id, 'case.claim', { caseId: other });
      await press(coordinatorB.id, 'case.not-our-pupil', { caseId: other, confirmed: true });
      assert.equal(await t.app.services.store.size(), 0, 'both cases ended');

      await reader.forceFlush();
      const finished = spans.getFinishedSpans();
      assert.ok(
        finished.some((s) => s.kind === SpanKind.SERVER && /POST/.test(s.name)),
        'request spans',
      );
      assert.ok(
        finished.some(
          (s) =>
            s.kind === SpanKind.CLIENT &&
            String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? '').includes('/v3/conversations'),
        ),
        'Bot Connector dependency spans',
      );
      if (onRedis) {
        assert.ok(
          finished.some((s) => s.kind === SpanKind.CLIENT && s.attributes['db.system'] === 'redis'),
          `Redis dependency spans (${[...new Set(finished.map((s) => s.name))].join(', ')})`,
        );
      }
      const metrics = metricExporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((m) => m.metrics));
      const points = (name: string) => metrics.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
      const total = (name: string) =>
        points(name).reduce((sum, p) => sum + (typeof p.value === 'number' ? p.value : 0), 0);
      assert.equal(total('hwc.signals.received'), 2, 'two signals received');
      assert.equal(total('hwc.signals.delivered'), 2, 'two signals delivered');
      assert.deepEqual(
        points('hwc.signals.received').map((p) => p.attributes.origin),
        ['api-key'],
      );
      assert.equal(total('hwc.cases.claimed'), 2, 'both cases were claimed');
      assert.equal(points('hwc.cards.pending_neutral').length, 1, 'the cards waiting are observed');
      assert.equal(total('hwc.cards.pending_neutral'), 0, 'and none wait once the flows are done');
      const records = logs.getFinishedLogRecords();
      assert.ok(
        records.some((r) => r.spanContext?.traceId),
        'a log record in a trace',
      );
      assert.ok(
        t.logs.lines.some((l) => l.includes('"trace_id"')),
        'a log line names its trace',
      );
      const everything = JSON.stringify({
        spans: finished.map((s) => ({
          name: s.name,
          attributes: s.attributes,
          events: s.events,
          resource: s.resource.attributes,
        })),
        metrics: metrics.map((x) => ({ d: x.descriptor, p: x.dataPoints.map((p) => p.attributes) })),
        logs: records.map((r) => ({ body: r.body, attributes: r.attributes })),
      });
      assert.ok(everything.length > 10_000, 'the telemetry was captured');
      assertNoPupilData(everything, 'the telemetry');
      assert.ok(!everything.includes('Mag even naar de gang'), 'nor what was agreed');
    });
  }

  it('starts without the setting and records nothing', async () => {
    test = await startTestApp();
    assert.equal(test.app.services.metrics, undefined);
    const posted = await test.postSignal(signal, { 'X-API-Key': TEST_API_KEY });
    assert.equal(posted.status, 201, posted.body);
    assert.ok(!test.logs.lines.some((l) => l.includes('"trace_id"')));
  });
});

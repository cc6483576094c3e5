import { metrics, type Attributes, type ObservableResult } from '@opentelemetry/api';
import type { AppMetrics, DeliveryFailureKind, Messenger, SignalOriginKind } from '../app/ports';
import { isHwcError } from '../domain/errors';
import type { OldestOpenCase } from '../store/case-store';

/** What the gauges read when the metrics are collected (every export interval). */
export interface GaugeSources {
  /** Cards of ended cases being made neutral right now (src/app/card-cleanup.ts). */
  pendingNeutral(): number;
  oldestOpen(): Promise<OldestOpenCase[]>;
  now(): Date;
}

/**
 * The bot's metrics on the global OpenTelemetry meter (Azure Monitor's, once started). Names are
 * fixed: the operations guide uses them. Attributes are fixed words and school ids, never a pupil.
 */
export class OtelMetrics implements AppMetrics {
  private readonly meter = metrics.getMeter('handle-with-care');
  private readonly received = this.meter.createCounter('hwc.signals.received', {
    description: 'Signals that came in, by origin',
  });
  private readonly delivered = this.meter.createCounter('hwc.signals.delivered', {
    description: 'Signals that reached at least one coordinator, by origin',
  });
  private readonly claimed = this.meter.createCounter('hwc.cases.claimed', {
    description: 'Cases claimed, and whether before lessons',
  });
  private readonly failures = this.meter.createCounter('hwc.delivery.failures', {
    description: 'Cards that did not reach someone, and signals that reached no coordinator',
  });

  signalReceived(origin: SignalOriginKind): void {
    this.received.add(1, { origin });
  }

  signalDelivered(origin: SignalOriginKind): void {
    this.delivered.add(1, { origin });
  }

  caseClaimed(beforeLessons: boolean): void {
    this.claimed.add(1, { before_lessons: beforeLessons });
  }

  deliveryFailed(kind: DeliveryFailureKind): void {
    this.failures.add(1, { kind });
  }

  /** Registers the two gauges; they read their sources only when the metrics are collected. */
  observe(sources: GaugeSources): void {
    this.meter
      .createObservableGauge('hwc.cards.pending_neutral', {
        description: 'Cards of ended cases waiting to be made neutral',
      })
      .addCallback((result: ObservableResult<Attributes>) => result.observe(sources.pendingNeutral()));
    this.meter
      .createObservableGauge('hwc.cases.oldest_open_age_seconds', {
        description: "Age of each school's oldest open case",
        unit: 's',
      })
      .addCallback(async (result: ObservableResult<Attributes>) => {
        // A store that does not answer leaves the gauge out of this round, nothing more.
        const oldest = await sources.oldestOpen().catch(() => []);
        const now = sources.now().getTime();
        for (const { schoolId, receivedAt } of oldest) {
          result.observe(Math.max(0, Math.round((now - receivedAt.getTime()) / 1000)), {
            school_id: schoolId,
          });
        }
      });
  }
}

/**
 * The messenger, counting the cards Teams did not take ('delivery.unreachable', 'delivery.failed'):
 * the error's code is all it looks at. Wiring, so neither the use cases nor the adapter change.
 */
export function countingMessenger(messenger: Messenger, appMetrics: AppMetrics): Messenger {
  const counted = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (isHwcError(error, 'delivery.unreachable')) appMetrics.deliveryFailed('unreachable');
      else if (isHwcError(error, 'delivery.failed')) appMetrics.deliveryFailed('failed');
      throw error;
    });
  return {
    sendCard: (to, card, options) => counted(messenger.sendCard(to, card, options)),
    updateCard: (message, card, options) => counted(messenger.updateCard(message, card, options)),
    deleteCard: (message) => counted(messenger.deleteCard(message)),
  };
}

import { storeCall, within } from '../redis/redis-client';
import type { Logger } from '../logging/logger';
import { OutageNotice, type SharedRedis } from './shared-redis';

/** What a member lookup tells about a person: their Teams id and the name Teams shows. */
export interface KnownMember {
  teamsUserId: string;
  name?: string;
}

export interface MemberCacheOptions {
  /** Shares what one instance looked up with the others (Redis); without it, this process only. */
  shared?: SharedRedis;
  logger?: Logger;
  /** How long a lookup is trusted; default 30 days (a Teams id does not change, a name rarely). */
  ttlMs?: number;
  /** Redis reads that take longer give up: the lookup is then made; default 1 s. */
  readTimeoutMs?: number;
  /** Wall clock in ms; default Date.now. */
  now?: () => number;
}

const DEFAULT_TTL_MS = 30 * 24 * 3600_000;

/**
 * The member lookup (getMember) per person, so that opening a chat costs two calls to Teams
 * instead of three when the person was looked up before. In Redis, `${prefix}member:${aadObjectId}`
 * is a hash of `id` (the Teams id) and `name`: the key holds the person's Entra object id only,
 * as the chats' keys do. Redis failing only costs a lookup (logged once per outage).
 */
export class MemberCache {
  private readonly local = new Map<string, { member: KnownMember; at: number }>();
  private readonly notice: OutageNotice;
  private readonly ttlMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MemberCacheOptions = {}) {
    this.notice = new OutageNotice(
      options.logger,
      'teams.members.redis-failed',
      'member lookups are remembered by this instance only',
    );
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.readTimeoutMs = options.readTimeoutMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  keyOf(aadObjectId: string): string {
    return `${this.options.shared?.prefix ?? ''}member:${aadObjectId}`;
  }

  async get(aadObjectId: string): Promise<KnownMember | undefined> {
    const cached = this.local.get(aadObjectId);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.member;
    const shared = this.options.shared;
    if (!shared) return undefined;
    try {
      const stored = await within(
        storeCall('reading a member', () => shared.client.hGetAll(this.keyOf(aadObjectId))),
        this.readTimeoutMs,
        'reading a member',
      );
      this.notice.succeeded();
      if (!stored.id) return undefined;
      const member: KnownMember = { teamsUserId: stored.id, ...(stored.name ? { name: stored.name } : {}) };
      this.local.set(aadObjectId, { member, at: this.now() });
      return member;
    } catch (error) {
      this.notice.failed(error);
      return undefined;
    }
  }

  /** Remembers a lookup; Redis is written behind the caller's back. */
  remember(aadObjectId: string, member: KnownMember): void {
    this.local.set(aadObjectId, { member, at: this.now() });
    const shared = this.options.shared;
    if (!shared) return;
    const key = this.keyOf(aadObjectId);
    const fields: Record<string, string> = { id: member.teamsUserId };
    if (member.name) fields.name = member.name;
    storeCall('remembering a member', () =>
      shared.client.multi().hSet(key, fields).pExpire(key, this.ttlMs).exec(),
    ).then(
      () => this.notice.succeeded(),
      (error: unknown) => this.notice.failed(error),
    );
  }
}

import { createHash } from 'node:crypto';
import { createTRPCClient, httpLink } from '@trpc/client';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { AppRouter } from '../server/index.js';
import { createTestDatabase } from './helpers/db.js';
import { createPartner, createProgram, uniqueId } from './helpers/factories/money.js';
import { startTestServer } from './helpers/server.js';
import superjson from 'superjson';

const database = await createTestDatabase();
const db = database.db;
const server = await startTestServer(database, { SCHEDULER_ENABLED: 'false' });
const admin = await server.client(['affiliate_admin'], { sub: 'admin-1' });

const clientWith = (headers: Record<string, string>) =>
  createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/trpc`, transformer: superjson, headers })] });
const oneClick = async () => {
  const partner = await createPartner(db, { programId: await createProgram(db) });
  return { events: [{ externalId: uniqueId('click'), kind: 'click' as const, referralCode: partner.referralCode, occurredAt: '2025-05-01T10:00:00Z' }] };
};

describe('API keys', () => {
  it('shows the secret once, stores only its sha256, and lists keys without secrets', async () => {
    const created = await admin.apiKeys.create.mutate({ name: 'checkout service' });
    expect(created).toMatchObject({ name: 'checkout service', scopes: ['ingest'], createdBy: 'admin-1', revokedAt: null });
    expect(created.secret).toMatch(/^aok_[A-Za-z0-9_-]{43}$/);
    expect(created.prefix).toBe(created.secret.slice(0, 12));
    const stored = await db.execute<{ key_hash: string }>(sql`select key_hash from api_keys where id = ${created.id}`);
    expect(stored.rows[0]!.key_hash).toBe(createHash('sha256').update(created.secret).digest('hex'));

    const listed = await admin.apiKeys.list.query({});
    const entry = listed.items.find((item) => item.id === created.id)!;
    expect(entry).toMatchObject({ name: 'checkout service', prefix: created.prefix });
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(Object.keys(entry)).not.toContain('keyHash');
  });

  it('lets a key ingest by x-api-key or Authorization: ApiKey, and records its use', async () => {
    const { secret, id } = await admin.apiKeys.create.mutate({ name: 'crm' });
    const viaHeader = await clientWith({ 'x-api-key': secret }).referrals.ingest.mutate(await oneClick());
    const viaAuthorization = await clientWith({ authorization: `ApiKey ${secret}` }).referrals.ingest.mutate(await oneClick());
    expect([viaHeader.created.length, viaAuthorization.created.length]).toEqual([1, 1]);
    const used = await db.execute<{ last_used_at: Date | null; audit_actor: string }>(sql`
      select k.last_used_at, (select actor_id from activity where action = 'referrals.ingest' order by id desc limit 1) as audit_actor
      from api_keys k where k.id = ${id}`);
    expect(used.rows[0]!.last_used_at).not.toBeNull();
    expect(used.rows[0]!.audit_actor).toBe(`api-key:${id}`);
  });

  it("refuses ingestion without a key (401), with a person's token (403), with a revoked or unknown key (401)", async () => {
    const input = await oneClick();
    await expect(clientWith({}).referrals.ingest.mutate(input)).rejects.toMatchObject({ data: { code: 'UNAUTHORIZED' } });
    await expect(admin.referrals.ingest.mutate(input)).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    const { secret, id } = await admin.apiKeys.create.mutate({ name: 'to revoke' });
    await admin.apiKeys.revoke.mutate({ id });
    await expect(clientWith({ 'x-api-key': secret }).referrals.ingest.mutate(input)).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
      message: 'Unauthorized: the API key is unknown or revoked',
    });
    await expect(clientWith({ 'x-api-key': `${secret.slice(0, -1)}x` }).referrals.ingest.mutate(input)).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED' },
    });
    expect((await admin.apiKeys.list.query({})).items.map((item) => item.id)).not.toContain(id);
    expect((await admin.apiKeys.list.query({ includeRevoked: true })).items.find((item) => item.id === id)).toMatchObject({
      revokedBy: 'admin-1',
    });
  });

  it('does not let a key call procedures meant for people', async () => {
    const { secret } = await admin.apiKeys.create.mutate({ name: 'narrow' });
    const service = clientWith({ 'x-api-key': secret });
    await expect(service.users.list.query({})).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(service.apiKeys.create.mutate({ name: 'escalate' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });

  it('refuses revoking twice (CONFLICT), unknown keys (NOT_FOUND) and non-admins (FORBIDDEN)', async () => {
    const { id } = await admin.apiKeys.create.mutate({ name: 'twice' });
    await admin.apiKeys.revoke.mutate({ id });
    await expect(admin.apiKeys.revoke.mutate({ id })).rejects.toMatchObject({
      data: { code: 'CONFLICT' },
      message: 'API key is revoked; it cannot become revoked',
    });
    await expect(admin.apiKeys.revoke.mutate({ id: crypto.randomUUID() })).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
    const compliance = await server.client(['compliance_officer']);
    await expect(compliance.apiKeys.create.mutate({ name: 'nope' })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
    await expect(compliance.apiKeys.revoke.mutate({ id })).rejects.toMatchObject({ data: { code: 'FORBIDDEN' } });
  });
});

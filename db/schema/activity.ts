import { bigint, customType, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * The audit trail. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE (see the migration
 * `activity_append_only`), and `activity_seals` chains every row into a tamper-evident hash chain.
 */
export const activity = pgTable(
  'activity',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: text('actor_id').notNull(),
    actorRoles: text('actor_roles').array().notNull(),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    before: jsonb('before').$type<Record<string, unknown> | null>(),
    after: jsonb('after').$type<Record<string, unknown> | null>(),
    requestId: text('request_id'),
  },
  (table) => [
    index('activity_entity_idx').on(table.entityType, table.entityId, table.id),
    index('activity_actor_idx').on(table.actorId, table.id),
    index('activity_action_idx').on(table.action, table.id),
    index('activity_at_idx').on(table.at),
  ],
);

/** One link of the hash chain per sealed activity row, in sealing order. */
export const activitySeals = pgTable('activity_seals', {
  seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  activityId: bigint('activity_id', { mode: 'number' })
    .notNull()
    .unique()
    .references(() => activity.id),
  prevHash: bytea('prev_hash').notNull(),
  hash: bytea('hash').notNull(),
  sealedAt: timestamp('sealed_at', { withTimezone: true }).notNull().defaultNow(),
});

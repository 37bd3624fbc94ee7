import { AbilityBuilder, createMongoAbility, type ForcedSubject, type MongoAbility, type MongoQuery } from '@casl/ability';
import type { Role } from '../../db/schema/users.js';

export const ACTIONS = [
  'manage',
  'read',
  'read_pii',
  'create',
  'update',
  'delete',
  'verify',
  'enroll',
  'suspend',
  'reactivate',
  'terminate',
  'review',
  'approve',
  'export',
  'erase',
  'notify',
  'publish',
  'run',
] as const;
export type Action = (typeof ACTIONS)[number];

export const SUBJECTS = [
  'User',
  'Activity',
  'Partner',
  'Contact',
  'Account',
  'Program',
  'ProgramUpdate',
  'Agreement',
  'Document',
  'Referral',
  'Commission',
  'Payout',
  'FraudFlag',
  'ApiKey',
  'Notification',
  'Webhook',
  'Ticket',
  'Analytics',
  'Job',
] as const;
export type SubjectType = (typeof SUBJECTS)[number];

/** A plain row tagged with its subject type, so CASL can match conditions against it. */
export type TaggedRow = Record<string, unknown> & ForcedSubject<SubjectType>;
export type AppAbility = MongoAbility<[Action, SubjectType | TaggedRow | 'all']>;

export interface Principal {
  userId: string;
  roles: Role[];
}

/**
 * What each role may do, following the role table in DESIGN.md. Conditions use the row's field names as the
 * domain exposes them (camelCase); `auth/sql.ts` maps them to columns for list queries.
 */
export function defineAbilityFor(principal: Principal): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  const roles = new Set(principal.roles);
  // String subjects carry no field types for CASL's builder, so conditions are cast; tests check their effect.
  const mine = { managerId: principal.userId } as MongoQuery<never>;
  const self = { id: principal.userId } as MongoQuery<never>;

  can('read', 'User', self);

  if (roles.has('affiliate_admin')) {
    can('manage', 'all');
  }

  if (roles.has('partner_manager')) {
    can('read', ['Partner', 'Contact', 'Account', 'Referral', 'Commission', 'Analytics', 'Agreement', 'Document']);
    can('read_pii', ['Partner', 'Contact'], mine);
    can(['update', 'verify', 'suspend', 'reactivate', 'notify'], 'Partner', mine);
    can(['create', 'update', 'delete'], 'Contact', mine);
    can(['create', 'update'], 'Account');
    can(['read', 'create', 'update'], 'Ticket');
    can('read', 'User');
  }

  if (roles.has('program_manager')) {
    can(['read', 'create', 'update', 'delete'], 'Program');
    can(['read', 'create', 'publish'], 'ProgramUpdate');
    can(['read', 'enroll', 'notify'], 'Partner');
    can('read', ['Analytics', 'Agreement', 'Referral', 'Commission']);
    can('read', 'User');
  }

  if (roles.has('compliance_officer')) {
    can('read', 'all');
    can('read_pii', ['Partner', 'Contact']);
    can(['review', 'publish'], ['Document', 'Agreement']);
    can('review', 'FraudFlag');
    can(['suspend', 'export', 'erase'], 'Partner');
  }

  return build();
}

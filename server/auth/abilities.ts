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
  // Assigning a partner's manager: no role but the admin (manage all) has it.
  'assign',
  // A partner's onboarding steps after verification: payout setup, training, activation.
  'onboard',
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
  // A compliance or fraud hold on a partner (partner_holds).
  'Hold',
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
    can('read', ['Partner', 'Contact', 'Account', 'Referral', 'Commission', 'Agreement', 'Document']);
    // Dashboards show a partner manager the partners they manage (domain/analytics/scope.ts).
    can('read', 'Analytics', mine);
    can('read', ['Program', 'Hold']);
    // Documents are submitted for partners the manager manages; the rule sees the document's partner's manager.
    can('create', 'Document', mine);
    can('read_pii', ['Partner', 'Contact'], mine);
    // A partner manager files applications for partners they will manage, then runs their onboarding.
    can(['create', 'update', 'verify', 'onboard', 'suspend', 'reactivate', 'notify'], 'Partner', mine);
    can(['create', 'update', 'delete'], 'Contact', mine);
    can(['create', 'update'], 'Account');
    can(['read', 'create', 'update'], 'Ticket');
    // The notification log of partners, and marking dashboard notifications read on a partner's behalf.
    can(['read', 'update'], 'Notification');
    can('read', 'User');
  }

  if (roles.has('program_manager')) {
    can(['read', 'create', 'update', 'delete'], 'Program');
    can(['read', 'create', 'publish'], 'ProgramUpdate');
    can(['read', 'enroll', 'notify'], 'Partner');
    can('read', 'Notification');
    can('read', 'Account');
    can('read', ['Analytics', 'Agreement', 'Referral', 'Commission']);
    can('read', 'User');
  }

  if (roles.has('compliance_officer')) {
    can('read', 'all');
    can('read_pii', ['Partner', 'Contact']);
    can(['review', 'publish'], ['Document', 'Agreement']);
    can('review', 'FraudFlag');
    // The visitor IP and user agent of referral events are personal data.
    can('read_pii', 'Referral');
    // Placing (create) and releasing (update) compliance and fraud holds.
    can(['create', 'update'], 'Hold');
    can(['export', 'erase'], 'Partner');
    // Checked against the partner row plus the requested reason (see domain/partners/lifecycle.ts).
    can('suspend', 'Partner', { suspensionReason: 'compliance' } as MongoQuery<never>);
  }

  return build();
}

import { asc, eq, sql } from 'drizzle-orm';
import { CONTACT_ROLES, contacts } from '../../../db/schema/partners.js';
import type { Executor } from '../../../db/client.js';
import type { Action } from '../../auth/abilities.js';
import { notFound } from '../../errors.js';
import { recordActivity } from '../audit/record.js';
import { authorizeContact, contactSubject, type Caller } from './access.js';
import { auditedChange, CONTACT_PII_FIELDS, redact } from './pii.js';
import { erasedConflict } from './profile.js';
import type { AddContactInput, UpdateContactInput } from './schemas.js';
import { loadPartner, type PartnerRow } from './view.js';

export interface ContactView {
  id: string;
  partnerId: string;
  role: (typeof contacts.$inferSelect)['role'];
  name: string | null;
  email: string | null;
  phone: string | null;
  address: Record<string, string> | null;
  piiVisible: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Contacts are PII through and through: without `read_pii` on the partner's contacts only role and dates show. */
function contactColumns(piiVisible: boolean) {
  const pii = <T>(column: typeof contacts.name | typeof contacts.email | typeof contacts.phone | typeof contacts.address) =>
    piiVisible ? column : sql<T>`null`;
  return {
    id: contacts.id,
    partnerId: contacts.partnerId,
    role: contacts.role,
    name: pii<string | null>(contacts.name),
    email: pii<string | null>(contacts.email),
    phone: pii<string | null>(contacts.phone),
    address: pii<Record<string, string> | null>(contacts.address),
    piiVisible: sql<boolean>`${piiVisible}::boolean`,
    createdAt: contacts.createdAt,
    updatedAt: contacts.updatedAt,
  };
}

/** Primary first, then billing, then technical: the order of CONTACT_ROLES. */
const roleOrder = sql`array_position(${sql.raw(`array[${CONTACT_ROLES.map((role) => `'${role}'`).join(',')}]::text[]`)}, ${contacts.role})`;

const canReadContactPii = (caller: Caller, partner: PartnerRow) => caller.ability.can('read_pii', contactSubject(partner) as never);

async function selectContacts(db: Executor, caller: Caller, partner: PartnerRow, where: ReturnType<typeof eq>): Promise<ContactView[]> {
  return (await db
    .select(contactColumns(canReadContactPii(caller, partner)))
    .from(contacts)
    .where(where)
    .orderBy(roleOrder, asc(contacts.createdAt), asc(contacts.id))) as ContactView[];
}

/** partners.contacts: the partner's entries in the contact book. */
export async function listContacts(db: Executor, caller: Caller, partnerId: string): Promise<ContactView[]> {
  const partner = await loadPartner(db, caller, partnerId, false);
  authorizeContact(caller, 'read', partner);
  return selectContacts(db, caller, partner, eq(contacts.partnerId, partner.id));
}

/** Locks the partner (erasure must not interleave with contact changes) and checks the caller's right on its contacts. */
async function lockPartnerForContacts(tx: Executor, caller: Caller, action: Action, partnerId: string) {
  const partner = await loadPartner(tx, caller, partnerId, true);
  authorizeContact(caller, action, partner);
  if (partner.erasedAt) throw erasedConflict(partner.id, partner.erasedAt);
  return partner;
}

async function contactOwner(tx: Executor, contactId: string): Promise<string> {
  const [row] = await tx.select({ partnerId: contacts.partnerId }).from(contacts).where(eq(contacts.id, contactId));
  if (!row) throw notFound('Contact', contactId);
  return row.partnerId;
}

export async function addContact(db: Executor, caller: Caller, input: AddContactInput): Promise<ContactView> {
  const { partnerId, ...fields } = input;
  return db.transaction(async (tx) => {
    const partner = await lockPartnerForContacts(tx, caller, 'create', partnerId);
    const [created] = await tx.insert(contacts).values({ partnerId, ...fields }).returning({ id: contacts.id });
    await recordActivity(tx, caller.actor, {
      action: 'partner.contact.add',
      entityType: 'partner',
      entityId: partnerId,
      after: { contact: { id: created!.id, ...redact(fields, CONTACT_PII_FIELDS) } },
    });
    const [view] = await selectContacts(tx, caller, partner, eq(contacts.id, created!.id));
    return view!;
  });
}

export async function updateContact(db: Executor, caller: Caller, input: UpdateContactInput): Promise<ContactView> {
  const { contactId, ...changes } = input;
  return db.transaction(async (tx) => {
    const partner = await lockPartnerForContacts(tx, caller, 'update', await contactOwner(tx, contactId));
    const [before] = await tx
      .select({ role: contacts.role, name: contacts.name, email: contacts.email, phone: contacts.phone, address: contacts.address })
      .from(contacts)
      .where(eq(contacts.id, contactId));
    if (!before) throw notFound('Contact', contactId);
    const change = auditedChange(before, changes, CONTACT_PII_FIELDS);
    if (Object.keys(change.after).length > 0) {
      await tx.update(contacts).set({ ...changes, updatedAt: sql`now()` }).where(eq(contacts.id, contactId));
      await recordActivity(tx, caller.actor, {
        action: 'partner.contact.update',
        entityType: 'partner',
        entityId: partner.id,
        // Nested, so the contact id stays on both sides of the audit row (unchanged top-level fields are dropped).
        before: { contact: { id: contactId, ...change.before } },
        after: { contact: { id: contactId, ...change.after } },
      });
    }
    const [view] = await selectContacts(tx, caller, partner, eq(contacts.id, contactId));
    return view!;
  });
}

export async function removeContact(db: Executor, caller: Caller, contactId: string): Promise<{ contactId: string; removed: true }> {
  return db.transaction(async (tx) => {
    const partner = await lockPartnerForContacts(tx, caller, 'delete', await contactOwner(tx, contactId));
    const [removed] = await tx.delete(contacts).where(eq(contacts.id, contactId)).returning({ role: contacts.role });
    if (!removed) throw notFound('Contact', contactId);
    await recordActivity(tx, caller.actor, {
      action: 'partner.contact.remove',
      entityType: 'partner',
      entityId: partner.id,
      before: { contact: { id: contactId, role: removed.role } },
    });
    return { contactId, removed: true };
  });
}

import type { Database } from '../../../db/client.js';
import { partners, partnerTree } from '../../../db/schema/partners.js';
import { users } from '../../../db/schema/users.js';

/** A Partner Manager user named `Bench Manager` with this email; returns its id. */
export async function createBenchManager(db: Database, email: string): Promise<string> {
  const [manager] = await db
    .insert(users)
    .values({ email, name: 'Bench Manager', roles: ['partner_manager'] })
    .returning({ id: users.id });
  return manager!.id;
}

/** One active partner managed by `managerId`, with its closure-table self row, for the `partners.get` benchmark. */
export async function seedPartner(db: Database, managerId: string): Promise<string> {
  const [partner] = await db
    .insert(partners)
    .values({
      referralCode: 'BENCH-PARTNER',
      status: 'active',
      name: 'Bench Partner',
      email: 'bench-partner@example.com',
      phone: '+1 555 0100',
      company: 'Bench Co',
      website: 'https://bench.example.com',
      country: 'US',
      managerId,
    })
    .returning({ id: partners.id });
  await db.insert(partnerTree).values({ ancestorId: partner!.id, descendantId: partner!.id, depth: 0 });
  return partner!.id;
}

import { sql, type SQL } from 'drizzle-orm';
import type { ProgramInForce } from '../partner-jobs/programs-in-force.js';

/** Rows (program_id, kind): the document kinds each program's configuration in force requires. */
export function requiredDocumentsSql(programs: ProgramInForce[]): SQL {
  const pairs = programs.flatMap((program) => program.configuration.rules.requiredDocuments.map((kind) => ({ program_id: program.id, kind })));
  return sql`select * from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as r(program_id uuid, kind text)`;
}

/**
 * Whether the partner holds an approved document of the kind that is valid on `today` (a document is valid
 * through its expiry date, as the compliance area has it).
 */
export function hasValidDocumentSql(partnerId: SQL, kind: SQL, today: string): SQL {
  return sql`exists (
    select 1 from compliance_documents v
    where v.partner_id = ${partnerId} and v.kind = ${kind} and v.status = 'approved'
      and (v.expires_on is null or v.expires_on >= ${today}::date))`;
}

/**
 * `hasValidDocumentSql` read from the (unaliased) partners row instead: its `documents_valid_until`, which triggers
 * on compliance_documents keep (migration 0026). For scans over many partners.
 */
export function partnerRowHasValidDocumentSql(kind: string, today: string): SQL {
  return sql`coalesce((partners.documents_valid_until ->> ${kind})::date >= ${today}::date, false)`;
}

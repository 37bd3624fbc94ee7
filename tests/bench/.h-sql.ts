// prints SQL text of compliance query for explain
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { acceptedCurrentAgreementSql } from '../../server/domain/agreements/acceptances.js';
const d = new PgDialect();
const q = d.sqlToQuery(sql`select ${acceptedCurrentAgreementSql(sql`partners.id`)}`);
console.log(q.sql, q.params);

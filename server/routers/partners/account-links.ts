/** Procedures of `partners.*`, merged in ./index.ts. */
export const accountLinkProcedures = {};

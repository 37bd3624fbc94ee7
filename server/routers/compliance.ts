import { listDocuments, reviewDocument, submitDocument } from '../domain/compliance/documents.js';
import { listHolds, placeHold, releaseHold } from '../domain/compliance/holds.js';
import {
  listDocumentsInput,
  listHoldsInput,
  placeHoldInput,
  releaseHoldInput,
  reviewDocumentInput,
  submitDocumentInput,
} from '../domain/compliance/schemas.js';
import { procedureFor, router } from '../trpc.js';

export const complianceRouter = router({
  /** A partner manager submits for the partners they manage. */
  submitDocument: procedureFor('create', 'Document')
    .input(submitDocumentInput)
    .mutation(({ ctx, input }) => submitDocument(ctx.db, ctx, input)),
  reviewDocument: procedureFor('review', 'Document')
    .input(reviewDocumentInput)
    .mutation(({ ctx, input }) => reviewDocument(ctx.db, ctx.actor, input)),
  documents: procedureFor('read', 'Document')
    .input(listDocumentsInput)
    .query(({ ctx, input }) => listDocuments(ctx.db, ctx.ability, input)),
  holds: procedureFor('read', 'Hold')
    .input(listHoldsInput)
    .query(({ ctx, input }) => listHolds(ctx.db, ctx.ability, input)),
  placeHold: procedureFor('create', 'Hold')
    .input(placeHoldInput)
    .mutation(({ ctx, input }) => placeHold(ctx.db, ctx.actor, input)),
  releaseHold: procedureFor('update', 'Hold')
    .input(releaseHoldInput)
    .mutation(({ ctx, input }) => releaseHold(ctx.db, ctx.actor, input)),
});

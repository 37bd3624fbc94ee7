import { addContact, listContacts, removeContact, updateContact } from '../../domain/partners/contacts.js';
import { addContactInput, contactRef, partnerRef, updateContactInput } from '../../domain/partners/schemas.js';
import { procedureFor } from '../../trpc.js';

/** Procedures of `partners.*`, merged in ./index.ts: the partner's contact book. */
export const contactProcedures = {
  contacts: procedureFor('read', 'Contact')
    .input(partnerRef)
    .query(({ ctx, input }) => listContacts(ctx.db, ctx, input.partnerId)),
  addContact: procedureFor('create', 'Contact')
    .input(addContactInput)
    .mutation(({ ctx, input }) => addContact(ctx.db, ctx, input)),
  updateContact: procedureFor('update', 'Contact')
    .input(updateContactInput)
    .mutation(({ ctx, input }) => updateContact(ctx.db, ctx, input)),
  removeContact: procedureFor('delete', 'Contact')
    .input(contactRef)
    .mutation(({ ctx, input }) => removeContact(ctx.db, ctx, input.contactId)),
};

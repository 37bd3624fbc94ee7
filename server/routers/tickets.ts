import { assignTicketInput, createTicketInput, listTicketsInput, replyToTicketInput, ticketIdInput } from '../domain/tickets/schemas.js';
import { assignTicket, createTicket, getTicket, listTickets, replyToTicket, resolveTicket } from '../domain/tickets/tickets.js';
import { procedureFor, router } from '../trpc.js';

export const ticketsRouter = router({
  create: procedureFor('create', 'Ticket')
    .input(createTicketInput)
    .mutation(({ ctx, input }) => createTicket(ctx.db, ctx.actor, input)),
  list: procedureFor('read', 'Ticket')
    .input(listTicketsInput)
    .query(({ ctx, input }) => listTickets(ctx.db, ctx.ability, input)),
  get: procedureFor('read', 'Ticket')
    .input(ticketIdInput)
    .query(({ ctx, input }) => getTicket(ctx.db, ctx.ability, input.id)),
  assign: procedureFor('update', 'Ticket')
    .input(assignTicketInput)
    .mutation(({ ctx, input }) => assignTicket(ctx.db, ctx.actor, input)),
  /** A staff reply notifies the partner; `author: 'partner'` records the partner's message and reopens the ticket. */
  reply: procedureFor('update', 'Ticket')
    .input(replyToTicketInput)
    .mutation(({ ctx, input }) => replyToTicket(ctx.db, ctx.actor, input)),
  resolve: procedureFor('update', 'Ticket')
    .input(ticketIdInput)
    .mutation(({ ctx, input }) => resolveTicket(ctx.db, ctx.actor, input.id)),
});

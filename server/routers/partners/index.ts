import { router } from '../../trpc.js';
import { accountLinkProcedures } from './account-links.js';
import { contactProcedures } from './contacts.js';
import { gdprProcedures } from './gdpr.js';
import { hierarchyProcedures } from './hierarchy.js';
import { lifecycleProcedures } from './lifecycle.js';
import { profileProcedures } from './profile.js';

/** `partners.*`: one namespace for clients, assembled from the area's procedure groups. */
export const partnersRouter = router({
  ...profileProcedures,
  ...lifecycleProcedures,
  ...contactProcedures,
  ...gdprProcedures,
  ...hierarchyProcedures,
  ...accountLinkProcedures,
});

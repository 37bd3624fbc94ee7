import { router } from '../../trpc.js';
import { accountLinkProcedures } from './account-links.js';
import { hierarchyProcedures } from './hierarchy.js';
import { lifecycleProcedures } from './lifecycle.js';

/** `partners.*`: one namespace for clients, assembled from the area's procedure groups. */
export const partnersRouter = router({
  ...lifecycleProcedures,
  ...hierarchyProcedures,
  ...accountLinkProcedures,
});

import { notificationTemplates } from '../../server/domain/notifications/templates.js';
const t = performance.now();
for (let i = 0; i < 9000; i++) notificationTemplates.render('performance_alert', { metric: 'conversions', direction: 'below', current: i % 5, threshold: 4, periodDays: 30, currency: 'USD', tier: 'gold' }, { baseUrl: 'http://localhost:3000' });
console.log('render 9000', (performance.now() - t).toFixed(0));

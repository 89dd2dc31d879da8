import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  Alert,
  AlertAcknowledge,
  AlertHistoryPage,
  type AlertHistoryQuery,
  AlertHistoryQuery as AlertHistoryQuerySchema,
} from '../../../src/schemas/alert-api.ts';
import type { AuditKind } from '../../../src/schemas/audit-api.ts';
import {
  Delivery,
  DeliveryQuery,
  NotificationRule,
  NotificationRuleCreated,
  NotificationRuleInput,
} from '../../../src/schemas/notification-api.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import {
  type NotificationRepository,
  newWebhookSecret,
  type RuleRow,
  ruleFromRow,
} from '../notifications/notification-repository.ts';
import type { Notifier } from '../notifications/notifier.ts';
import type { AlertRepository } from '../repositories/alert-repository.ts';
import { API_ERRORS, HttpError, scopeOf } from './common.ts';
import { checkTimeRange } from './date-range.ts';

const errors = API_ERRORS;
const RecordId = Type.Object(
  { id: Type.String({ pattern: '^[0-9]{1,18}$' }) },
  { additionalProperties: false },
);
const AlertId = Type.Object(
  { id: Type.String({ minLength: 3, maxLength: 200, pattern: '^[a-z_]+:[a-z0-9-]+$' }) },
  { additionalProperties: false },
);
// A plain address: one @, no spaces, no display names or lists (the hub sends to exactly this).
const EMAIL =
  /^[^\s@<>(),;:"]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

export interface AlertRouteDeps {
  openAlerts: () => Alert[];
  /** Resolves to the acknowledged alert, or null when it is not open (a standby asks its leader). */
  acknowledge: (id: string, user: string, comment: string | null) => Alert | null | Promise<Alert | null>;
  history: AlertRepository;
  rules: NotificationRepository;
  notifier: Notifier;
  audit: AuditLog;
  maxRulesPerUser: number;
  now: () => number;
}

/** Who may do what with alerts and notification rules. */
function mayAcknowledge(request: FastifyRequest): void {
  const role = request.user.role;
  if (role !== 'operator' && role !== 'controlroom')
    throw new HttpError(403, 'FORBIDDEN', 'only hub operators and control rooms acknowledge alerts');
}

function readsAlerts(request: FastifyRequest): void {
  if (request.user.role === 'auditor')
    throw new HttpError(403, 'FORBIDDEN', 'auditors read the audit log, not the alerts');
}

/** Checks a rule against its owner's role; throws a 400/403 naming the field. */
function checkRule(request: FastifyRequest, input: NotificationRuleInput): void {
  const { role } = request.user;
  if (role === 'auditor') throw new HttpError(403, 'FORBIDDEN', 'auditors have no alert notifications');
  if (input.channel === 'webhook') {
    if (role !== 'operator')
      throw new HttpError(403, 'FORBIDDEN', 'only hub operators create webhooks (they post to any address)');
    let url: URL;
    try {
      url = new URL(input.target);
    } catch {
      throw new HttpError(400, 'BAD_TARGET', 'target must be an http or https URL for a webhook');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new HttpError(400, 'BAD_TARGET', 'target must be an http or https URL for a webhook');
    if (url.username || url.password)
      throw new HttpError(400, 'BAD_TARGET', 'target must not carry a user name or password');
  } else if (!EMAIL.test(input.target)) {
    throw new HttpError(400, 'BAD_TARGET', 'target must be one e-mail address, like duty@example.org');
  }
  const scope = scopeOf(request.user);
  if (scope) {
    const outside = (input.councilIds ?? []).filter((c) => !scope.includes(c));
    if (outside.length > 0)
      throw new HttpError(403, 'FORBIDDEN', `councilIds outside your councils: ${outside.join(', ')}`);
  }
  if (input.mode === 'digest' && input.digestHour === undefined) input.digestHour = 7;
}

export function alertRoutes(api: FastifyInstance, deps: AlertRouteDeps): void {
  api.get('/api/alerts', { schema: { response: { 200: Type.Array(Alert), ...errors } } }, async (request) => {
    readsAlerts(request);
    const scope = scopeOf(request.user);
    return deps.openAlerts().filter((a) => !scope || scope.includes(a.councilId));
  });

  api.get(
    '/api/alerts/history',
    { schema: { querystring: AlertHistoryQuerySchema, response: { 200: AlertHistoryPage, ...errors } } },
    async (request) => {
      readsAlerts(request);
      const query = request.query as AlertHistoryQuery;
      checkTimeRange(query);
      return deps.history.history(query, scopeOf(request.user));
    },
  );

  api.post(
    '/api/alerts/:id/acknowledge',
    {
      schema: {
        params: AlertId,
        body: Type.Union([AlertAcknowledge, Type.Null()]),
        response: { 200: Alert, ...errors },
      },
    },
    async (request) => {
      mayAcknowledge(request);
      const { id } = request.params as { id: string };
      const comment = (request.body as AlertAcknowledge | null)?.comment?.trim() || null;
      const alert = await deps.acknowledge(id, request.user.sub, comment);
      if (!alert) throw new HttpError(404, 'ALERT_NOT_OPEN', `alert ${id} is not open (it may have cleared)`);
      await deps.audit.append({
        kind: 'alert.acknowledge',
        actor: request.user.sub,
        role: request.user.role,
        councilId: alert.councilId,
        subject: { type: 'alert', id },
        reason: comment,
        detail: { kind: alert.kind, siteId: alert.siteId, openedAt: alert.openedAt },
      });
      return alert;
    },
  );

  // Notification rules: each user their own; hub operators see and manage everyone's.
  const owned = async (request: FastifyRequest): Promise<RuleRow> => {
    const { id } = request.params as { id: string };
    const rule = await deps.rules.rule(id);
    if (!rule || (request.user.role !== 'operator' && rule.owner !== request.user.sub))
      throw new HttpError(404, 'NOT_FOUND', `notification rule ${id} not found`);
    return rule;
  };
  const audit = (
    request: FastifyRequest,
    kind: AuditKind,
    rule: RuleRow,
    detail: Record<string, unknown> = {},
  ) =>
    deps.audit.append({
      kind,
      actor: request.user.sub,
      role: request.user.role,
      subject: { type: 'notification-rule', id: rule.id },
      detail: { name: rule.name, owner: rule.owner, channel: rule.channel, target: rule.target, ...detail },
    });

  api.get(
    '/api/notification-rules',
    { schema: { response: { 200: Type.Array(NotificationRule), ...errors } } },
    async (request) => {
      const rows = await deps.rules.rules(request.user.role === 'operator' ? null : request.user.sub);
      return rows.map(ruleFromRow);
    },
  );

  api.post(
    '/api/notification-rules',
    { schema: { body: NotificationRuleInput, response: { 201: NotificationRuleCreated, ...errors } } },
    async (request, reply) => {
      const input = request.body as NotificationRuleInput;
      checkRule(request, input);
      if ((await deps.rules.countOwned(request.user.sub)) >= deps.maxRulesPerUser)
        throw new HttpError(
          409,
          'TOO_MANY_RULES',
          `you already have ${deps.maxRulesPerUser} notification rules`,
        );
      const secret = input.channel === 'webhook' ? newWebhookSecret() : null;
      const rule = await deps.rules.create(request.user.sub, input, secret);
      await audit(request, 'config.notification.create', rule);
      return reply.code(201).send({ rule: ruleFromRow(rule), secret });
    },
  );

  api.put(
    '/api/notification-rules/:id',
    {
      schema: {
        params: RecordId,
        body: NotificationRuleInput,
        response: { 200: NotificationRule, ...errors },
      },
    },
    async (request) => {
      const before = await owned(request);
      const input = request.body as NotificationRuleInput;
      checkRule(request, input);
      let rule = await deps.rules.update(before.id, input);
      if (!rule) throw new HttpError(404, 'NOT_FOUND', `notification rule ${before.id} not found`);
      // A rule that becomes a webhook gets a secret; one that stops being one loses it.
      if (rule.channel === 'webhook' && !rule.secret)
        rule = (await deps.rules.setSecret(rule.id, newWebhookSecret())) ?? rule;
      if (rule.channel !== 'webhook' && rule.secret)
        rule = (await deps.rules.setSecret(rule.id, null)) ?? rule;
      await audit(request, 'config.notification.update', rule);
      return ruleFromRow(rule);
    },
  );

  api.post(
    '/api/notification-rules/:id/rotate-secret',
    { schema: { params: RecordId, response: { 200: NotificationRuleCreated, ...errors } } },
    async (request) => {
      const rule = await owned(request);
      if (rule.channel !== 'webhook')
        throw new HttpError(409, 'NOT_A_WEBHOOK', 'only webhook rules have a signing secret');
      const secret = newWebhookSecret();
      const next = (await deps.rules.setSecret(rule.id, secret)) ?? rule;
      await audit(request, 'config.notification.secret', next);
      return { rule: ruleFromRow(next), secret };
    },
  );

  api.delete(
    '/api/notification-rules/:id',
    { schema: { params: RecordId, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const rule = await owned(request);
      await deps.rules.remove(rule.id);
      await audit(request, 'config.notification.delete', rule);
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/notification-rules/:id/test',
    { schema: { params: RecordId, response: { 202: Delivery, ...errors } } },
    async (request, reply) => reply.code(202).send(await deps.notifier.queueTest(await owned(request))),
  );

  api.post(
    '/api/notification-rules/:id/digest',
    { schema: { params: RecordId, response: { 202: Delivery, ...errors } } },
    async (request, reply) => reply.code(202).send(await deps.notifier.queueDigest(await owned(request))),
  );

  api.get(
    '/api/notifications',
    { schema: { querystring: DeliveryQuery, response: { 200: Type.Array(Delivery), ...errors } } },
    async (request) =>
      deps.rules.deliveries(
        request.query as DeliveryQuery,
        request.user.role === 'operator' ? null : request.user.sub,
      ),
  );

  api.post(
    '/api/notifications/:id/retry',
    { schema: { params: RecordId, response: { 200: Delivery, ...errors } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const found = await deps.rules.delivery(id);
      if (!found || (request.user.role !== 'operator' && found.owner !== request.user.sub))
        throw new HttpError(404, 'NOT_FOUND', `delivery ${id} not found`);
      const delivery = await deps.rules.retry(id, deps.now());
      if (!delivery)
        throw new HttpError(409, 'NOT_DEAD', `delivery ${id} is ${found.state}: only dead ones are retried`);
      await deps.audit.append({
        kind: 'config.notification.retry',
        actor: request.user.sub,
        role: request.user.role,
        subject: { type: 'notification', id },
        detail: { channel: delivery.channel, target: delivery.target, subject: delivery.subject },
      });
      deps.notifier.wake();
      return delivery;
    },
  );
}

import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import {
  CHECKPOINT_RULE_IDS,
  CheckpointRuleParams,
  type AlertSeverity,
  type CheckpointRule,
  type CheckpointRuleId,
  type CheckpointRuleUpdate,
  type SessionUser,
} from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { RulesRepository } from './rules.repository';

const CHECKERS = new Map(
  CHECKPOINT_RULE_IDS.map((id) => [id, TypeCompiler.Compile<TSchema>(CheckpointRuleParams[id])] as const),
);

/** Defaults filled in; what the database holds is trusted only after the rule's schema accepts it. */
export function ruleWithDefaults<R extends CheckpointRuleId>(
  id: R,
  stored: {
    enabled: boolean;
    severity: CheckpointRule['severity'];
    params: Record<string, unknown>;
    updatedAt: string;
  },
): CheckpointRule<R> {
  const params = Value.Default(CheckpointRuleParams[id], Value.Clone(stored.params)) as CheckpointRule<R>['params'];
  return { id, enabled: stored.enabled, severity: stored.severity, params, updatedAt: stored.updatedAt };
}

/** The passage rules' switches, severities and parameters, cached and kept in step across replicas. */
@Injectable()
export class RuleSettingsService implements OnModuleInit, OnModuleDestroy {
  private rules = new Map<CheckpointRuleId, CheckpointRule>();
  private version = '';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: RulesRepository,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.poll(), this.config.CHECKPOINT_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  rule<R extends CheckpointRuleId>(id: R): CheckpointRule<R> {
    return this.rules.get(id) as CheckpointRule<R>;
  }

  list(): CheckpointRule[] {
    return CHECKPOINT_RULE_IDS.map((id) => this.rules.get(id)!).filter(Boolean);
  }

  get(id: string): CheckpointRule {
    const rule = this.rules.get(id as CheckpointRuleId);
    if (!rule) throw new NotFoundException(`no rule ${id}; rules are ${CHECKPOINT_RULE_IDS.join(', ')}`);
    return rule;
  }

  async update(
    id: string,
    body: CheckpointRuleUpdate,
    user: SessionUser | undefined,
    ip: string,
  ): Promise<CheckpointRule> {
    const current = this.get(id);
    const params = { ...current.params, ...(body.params ?? {}) };
    const checker = CHECKERS.get(current.id)!;
    if (!checker.Check(params)) {
      const errors = [...checker.Errors(params)].map((e) => `params${e.path}: ${e.message}`);
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.join('; '), errors });
    }
    await this.repository.save(
      {
        id: current.id,
        enabled: body.enabled ?? current.enabled,
        severity: (body.severity as AlertSeverity | undefined) ?? current.severity,
        params,
      },
      user?.username ?? null,
    );
    await this.reload();
    await this.audit?.record({
      actor: user ? { id: user.id, username: user.username } : null,
      action: 'checkpoints.rules.update',
      target: `checkpoint_rule:${id}`,
      details: { ...body },
      ip,
    });
    this.logger.info({ rule: id, user: user?.username, ...body }, 'checkpoint rule changed');
    return this.get(id);
  }

  async reload(): Promise<void> {
    const rules = new Map<CheckpointRuleId, CheckpointRule>();
    for (const stored of await this.repository.all()) rules.set(stored.id, ruleWithDefaults(stored.id, stored));
    this.rules = rules;
    this.version = await this.repository.version();
  }

  private async poll(): Promise<void> {
    try {
      if ((await this.repository.version()) !== this.version) await this.reload();
    } catch (error) {
      this.logger.warn({ err: error }, 'checkpoint rule reload failed; will try again');
    }
  }
}

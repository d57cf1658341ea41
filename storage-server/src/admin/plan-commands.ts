import { normaliseEmail, quotaDay } from '@coffre/core/format';
import type { Plan } from '@coffre/core/protocol';
import type { Db } from '../db/database';
import type { Plans } from '../plans';
import { createRepositories } from '../repositories';
import { formatBytes } from '../services/quota-messages';
import { monthOf, nextMonthStart, TransferMeter } from '../services/transfer-meter.service';

/** A refusal the admin should read: printed on stderr, exit status 2. */
export class AdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

export const USAGE = `usage: npm run admin -- <command>

commands:
  plan list                    the configured plans
  plan show <email>            an account's plan, storage and this month's transfer
  plan set <email> <plan-id>   move an account to another plan (takes effect at once)`;

export interface AdminContext {
  plans: Plans;
  now: () => number;
  print: (line: string) => void;
}

/** What the commands that read or change accounts work with. */
interface AccountContext extends AdminContext {
  db: Db;
}

const describe = (plan: Plan) => `${plan.name} (${plan.id})`;

export function listPlans({ plans, print }: AdminContext): void {
  const rows = plans.catalog.plans.map((plan) => [
    plan.id,
    plan.name,
    formatBytes(plan.storageQuota),
    formatBytes(plan.transferQuota),
    plan.id === plans.default.id ? 'default' : '',
  ]);
  const table = [['id', 'name', 'storage', 'transfer / month', ''], ...rows];
  const widths = table[0]!.map((_, column) => Math.max(...table.map((r) => r[column]!.length)));
  for (const row of table) {
    print(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  }
}

async function findAccount(db: Db, rawEmail: string) {
  let email: string;
  try {
    email = normaliseEmail(rawEmail);
  } catch {
    throw new AdminError(`"${rawEmail}" is not an email address`);
  }
  const account = await db
    .selectFrom('accounts')
    .select(['user_id', 'email', 'plan_id', 'storage_used'])
    .where('email', '=', email)
    .executeTakeFirst();
  if (!account) throw new AdminError(`no account with the email ${email}`);
  return account;
}

/** The note for an account whose stored plan id is not (or no longer) configured. */
function fallbackNote(plans: Plans, planId: string | null): string | null {
  if (planId === null || plans.find(planId)) return null;
  return `plan "${planId}" is no longer configured: the default plan ${describe(plans.default)} applies`;
}

export async function showPlan(context: AccountContext, rawEmail: string): Promise<void> {
  const { db, plans, now, print } = context;
  const account = await findAccount(db, rawEmail);
  const plan = plans.resolve(account.plan_id);
  const transferUsed = await new TransferMeter(db, createRepositories(db), now).used(
    account.user_id,
  );
  print(account.email);
  print(`  plan:      ${describe(plan)}`);
  const note = fallbackNote(plans, account.plan_id);
  if (note) print(`             ${note}`);
  print(`  storage:   ${formatBytes(account.storage_used)} of ${formatBytes(plan.storageQuota)}`);
  print(
    `  transfer:  ${formatBytes(transferUsed)} of ${formatBytes(plan.transferQuota)} in ` +
      `${monthOf(now())} (resets on ${quotaDay(nextMonthStart(now()))})`,
  );
}

export async function setPlan(context: AccountContext, rawEmail: string, planId: string) {
  const { db, plans, print } = context;
  const target = plans.find(planId);
  if (!target) {
    throw new AdminError(`unknown plan "${planId}"; the plans are: ${plans.ids.join(', ')}`);
  }
  const account = await findAccount(db, rawEmail);
  const before = plans.resolve(account.plan_id);
  const note = fallbackNote(plans, account.plan_id);
  if (note) print(`note: ${note}`);
  if (account.plan_id === target.id) {
    print(`${account.email} is already on ${describe(target)}; nothing changed`);
    return;
  }
  await db
    .updateTable('accounts')
    .set({ plan_id: target.id })
    .where('user_id', '=', account.user_id)
    .execute();
  print(`${account.email}: ${describe(before)} -> ${describe(target)}`);
  if (account.storage_used > target.storageQuota) {
    print(
      `storage used (${formatBytes(account.storage_used)}) is over the new quota ` +
        `(${formatBytes(target.storageQuota)}): nothing is deleted, but uploads are refused ` +
        'until usage fits',
    );
  }
}

/**
 * Runs one command line; throws AdminError (the usage text for bad arguments) before opening
 * anything when the command line is wrong. `openDb` is called only by commands that need it.
 */
export async function runPlanCommand(
  context: AdminContext,
  openDb: () => Promise<Db>,
  args: string[],
): Promise<void> {
  const [group, command, ...rest] = args;
  if (group !== 'plan') throw new AdminError(USAGE);
  if (command === 'list' && rest.length === 0) return listPlans(context);
  if (command === 'show' && rest.length === 1) {
    return showPlan({ ...context, db: await openDb() }, rest[0]!);
  }
  if (command === 'set' && rest.length === 2) {
    return setPlan({ ...context, db: await openDb() }, rest[0]!, rest[1]!);
  }
  throw new AdminError(USAGE);
}

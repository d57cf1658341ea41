import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { PlanCatalog, type Plan } from '@coffre/core/protocol';

/** The configured plans, checked: ids unique, the default among them. */
export class Plans {
  readonly catalog: PlanCatalog;
  readonly default: Plan;
  private readonly byId: Map<string, Plan>;

  constructor(catalog: PlanCatalog) {
    this.byId = new Map();
    for (const plan of catalog.plans) {
      if (this.byId.has(plan.id)) throw new Error(`plan "${plan.id}" is listed twice`);
      this.byId.set(plan.id, plan);
    }
    const fallback = this.byId.get(catalog.default);
    if (!fallback) throw new Error(`default plan "${catalog.default}" is not among the plans`);
    this.catalog = catalog;
    this.default = fallback;
  }

  /** The plan of this id, or undefined when it is not (or no longer) offered. */
  find(id: string): Plan | undefined {
    return this.byId.get(id);
  }

  /** What an account stored with this plan id is on: a plan that is gone falls back to the default. */
  resolve(id: string | null): Plan {
    return (id !== null && this.byId.get(id)) || this.default;
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}

/** Reads and checks a plans file; any fault stops start-up with the file and what is wrong. */
export function readPlansFile(file: string): PlanCatalog {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read plans file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Value.Check(PlanCatalog, parsed)) {
    const first = Value.Errors(PlanCatalog, parsed)[0];
    throw new Error(
      `invalid plans file ${file}: ${first?.instancePath || '(root)'} ${first?.message ?? ''}`,
    );
  }
  try {
    return new Plans(parsed).catalog;
  } catch (error) {
    throw new Error(`invalid plans file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

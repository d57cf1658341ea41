/**
 * A node's place in its life: serving, or draining before shutdown. Readiness reads it, so a
 * load balancer stops sending new work while requests in flight finish.
 */
export class Lifecycle {
  draining = false;

  constructor(
    /** Throws when the database or blob store cannot be reached. */
    readonly checkDependencies: () => Promise<void>,
  ) {}
}

// The tabs of one account tell each other what changed in their shared outbox, over a
// BroadcastChannel: only the tab that drains sends, but every tab lists the queue.
const CHANNEL = 'coffre-outbox';

export type OutboxChange =
  'added' | 'progress' | 'done' | 'cancelled' | 'paused' | 'resumed' | 'failed';

/** What one tab tells the others of the same account about an item. */
interface OutboxMessage {
  owner: string;
  id: string;
  change: OutboxChange;
}

export class OutboxTabs {
  private readonly channel = new BroadcastChannel(CHANNEL);

  /** `owner` is the account open in this tab; `heard` gets the other tabs' news about it. */
  constructor(
    private readonly owner: () => string | null,
    heard: (id: string, change: OutboxChange) => void,
  ) {
    this.channel.onmessage = (event: MessageEvent<OutboxMessage>) => {
      if (event.data.owner === this.owner()) heard(event.data.id, event.data.change);
    };
  }

  tell(id: string, change: OutboxChange): void {
    const owner = this.owner();
    if (owner) this.channel.postMessage({ owner, id, change } satisfies OutboxMessage);
  }
}

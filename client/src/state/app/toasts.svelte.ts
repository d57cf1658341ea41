import type { Message, Shown } from './messages';

// Short messages shown in one aria-live region. A toast may carry one action (e.g. Undo) and
// disappears after a few seconds; the action's window closes with it.

export interface ToastAction {
  label: Message;
  run: () => void | Promise<void>;
}

export interface Toast {
  id: number;
  message: Shown;
  tone: 'info' | 'error';
  action: ToastAction | null;
}

const DEFAULT_MS = 5000;
const WITH_ACTION_MS = 8000;

class Toasts {
  items = $state<Toast[]>([]);
  #nextId = 1;
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  show(message: Shown, options: { tone?: Toast['tone']; action?: ToastAction } = {}): number {
    const toast: Toast = {
      id: this.#nextId++,
      message,
      tone: options.tone ?? 'info',
      action: options.action ?? null,
    };
    this.items = [...this.items.slice(-3), toast];
    const ms = toast.action ? WITH_ACTION_MS : DEFAULT_MS;
    this.#timers.set(
      toast.id,
      setTimeout(() => this.dismiss(toast.id), toast.tone === 'error' ? ms * 2 : ms),
    );
    return toast.id;
  }

  error(message: Shown): number {
    return this.show(message, { tone: 'error' });
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  async runAction(toast: Toast): Promise<void> {
    this.dismiss(toast.id);
    await toast.action?.run();
  }
}

export const toasts = new Toasts();

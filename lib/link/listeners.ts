/**
 * Listeners: the one way link objects publish events. `on` returns the function that removes
 * exactly that listener, so an owner (a Node-RED node, the bridge, a CLI command) removes what
 * it added and nothing else: there is no removeAllListeners and no listener limit to raise.
 *
 * A listener that throws must not break the serial link or reach the process as an uncaught
 * exception (a Node-RED runtime would go down with it): the error is handed to `onError`.
 */

export type Remover = () => void;

type Handlers<Events> = { [K in keyof Events]?: Set<(value: Events[K]) => void> };

export class Listeners<Events extends object> {
  private readonly handlers: Handlers<Events> = {};

  constructor(private readonly onError: (err: unknown, event: string) => void = () => undefined) {}

  on<K extends keyof Events>(event: K, fn: (value: Events[K]) => void): Remover {
    let set = this.handlers[event];
    if (set === undefined) {
      set = new Set();
      this.handlers[event] = set;
    }
    // Wrapped so that the same function added twice is two listeners, each with its remover.
    const entry = (value: Events[K]): void => fn(value);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Like `on`, for the next event only. */
  once<K extends keyof Events>(event: K, fn: (value: Events[K]) => void): Remover {
    const remove = this.on(event, (value) => {
      remove();
      fn(value);
    });
    return remove;
  }

  emit<K extends keyof Events>(event: K, value: Events[K]): void {
    const set = this.handlers[event];
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch (err) {
        this.onError(err, String(event));
      }
    }
  }

  count<K extends keyof Events>(event: K): number {
    return this.handlers[event]?.size ?? 0;
  }
}

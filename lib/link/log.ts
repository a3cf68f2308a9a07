/**
 * The logger a link object reports through. A Node-RED node passes its own `log`/`warn`, the
 * CLI writes to stderr, tests collect the lines. Messages are English sentences naming the port.
 */

export interface LinkLogger {
  /** Something a user may want to know once: a port opened, a device identified. */
  info(message: string): void;
  /** Something went wrong and the link is handling it (reconnecting, refusing a device). */
  warn(message: string): void;
}

export const silentLogger: LinkLogger = {
  info: () => undefined,
  warn: () => undefined,
};

/** The logger with every call guarded: a failing logger must not take a serial callback down. */
export function safeLogger(log: LinkLogger | undefined): LinkLogger {
  if (log === undefined) return silentLogger;
  const guard =
    (fn: (message: string) => void) =>
    (message: string): void => {
      try {
        fn.call(log, message);
      } catch {
        // Nowhere left to report it; the link carries on.
      }
    };
  return { info: guard(log.info), warn: guard(log.warn) };
}

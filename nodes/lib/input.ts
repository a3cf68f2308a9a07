/**
 * The input path of every node with an input: Node-RED's 1.0 handler `(msg, send, done)`
 * around an async body, so that each message ends in exactly one `done()` or one `done(err)`.
 * A throw or a rejection of the body becomes `done(err)`: the runtime reports it once, and a
 * Catch node gets the message with `msg.error.code` copied from the error. The runtime never
 * sees a rejected promise (it would not await it).
 */

import type { Node, NodeMessage, NodeMessageInFlow } from 'node-red';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/** The body of an input handler: resolve when the message is handled, throw to fail it. */
export type InputBody = (msg: NodeMessageInFlow, send: Send) => Promise<void>;

export function handleInput(node: Node, body: InputBody): void {
  // A message still in work when the node closes (a redeploy) ends quietly: the flow it
  // belonged to is gone, so nothing is sent on and its failure is only logged for debugging.
  let closed = false;
  node.on('close', () => {
    closed = true;
  });
  // Three parameters: the runtime passes `done` only to handlers declared with three.
  node.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
    let finished = false;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      if (err && closed) {
        node.debug(`message ${msg._msgid} ended after the node closed: ${err.message}`);
        done();
      } else if (err) done(err);
      else done();
    };
    const sendOpen: Send = (out) => {
      if (!closed) send(out);
    };
    Promise.resolve()
      .then(() => body(msg, sendOpen))
      .then(
        () => finish(),
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      );
  });
}

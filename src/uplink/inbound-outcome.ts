import type { NewEvent } from '../store/types.js';
import type { Reply, ReplyError } from './commands-contract.js';

/** What handling one message from central produced: the reply to send, the event to record. */
export interface InboundOutcome {
  reply: Reply;
  event: NewEvent;
}

/** Text from the wire put into logs and events: never longer than this. */
const MAX_ECHO = 64;

export function echo(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}…` : text;
}

/** Refusal `{code, message}` as it appears in a reply and, as `reason`, in the event. */
export type Refusal = ReplyError;

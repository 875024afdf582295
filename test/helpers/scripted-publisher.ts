import type { MqttMessage, Publisher } from '../../src/uplink/publisher.js';

/** A connection under the test's control: publishes wait until the test acks or fails them. */
export class ScriptedPublisher implements Publisher {
  connected = false;
  sendQuota: number | undefined;
  readonly sent: { message: MqttMessage; done: (err: Error | null) => void }[] = [];
  private readonly listeners = new Set<(connected: boolean) => void>();

  publish(message: MqttMessage, done: (err: Error | null) => void): void {
    if (!this.connected) throw new Error('published while disconnected');
    this.sent.push({ message, done });
  }

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    for (const l of [...this.listeners]) l(connected);
  }

  /** Seqs (from the payload) of every publish so far. */
  seqs(): number[] {
    return this.sent.map((s) => JSON.parse(s.message.payload).seq);
  }

  /** Acks the publish of `seq` (the latest one, if it was sent more than once). */
  ack(seq: number, err: Error | null = null): void {
    const index = this.seqs().lastIndexOf(seq);
    if (index < 0) throw new Error(`seq ${seq} was not published`);
    this.sent[index]!.done(err);
  }

  listenerCount(): number {
    return this.listeners.size;
  }
}

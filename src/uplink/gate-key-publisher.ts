import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { Service } from '../core/service.js';
import { gateKeyTopic } from '../domain/topics.js';
import type { GatePublicKey } from '../evidence/gate-key.js';
import { channels, gateKeyMessage } from './contract.js';
import type { Publisher } from './publisher.js';

export interface GateKeyPublisherOptions {
  prefix: string;
  siteId: string;
  key: GatePublicKey;
}

/** Connections lost in a row with the key unacknowledged, after which it is taken as refused. */
export const KEY_DROPS_AS_REFUSAL = 2;

/**
 * Publishes the gate's public key, retained, on every connect, for central to check the evidence
 * chain's checkpoints with. A broker whose ACL does not let the gate write the topic refuses it,
 * and Mosquitto 2.0 with `max_queued_messages 0` (docs/mqtt.md) then closes the connection, often
 * before its PUBACK 135 is read: every connect would be lost, and the outbox with it. So a
 * refusal, or KEY_DROPS_AS_REFUSAL connections lost in a row with the key unacknowledged, stop
 * the key until the daemon restarts: a missing ACL line costs a reconnect or two, not the link.
 */
export class GateKeyPublisher implements Service {
  readonly name = 'uplink-key';
  private unsubscribe: (() => void) | null = null;
  private published = 0;
  private refused = false;
  private inFlight = false;
  private drops = 0;

  constructor(
    private readonly ctx: { clock: Clock; log: Logger },
    private readonly publisher: Publisher,
    private readonly opts: GateKeyPublisherOptions,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.publisher.onConnectionChange((connected) => {
      if (connected) this.publishNow();
      else if (this.inFlight) this.dropped();
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  stats() {
    return { published: this.published, refused: this.refused };
  }

  private publishNow(): void {
    if (this.refused) return;
    const { prefix, siteId, key } = this.opts;
    const topic = gateKeyTopic(prefix, siteId);
    const message = {
      topic,
      payload: JSON.stringify(gateKeyMessage(key, this.ctx.clock.now())),
      qos: channels.gateKey.qos,
      retain: channels.gateKey.retain,
    };
    this.inFlight = true;
    this.publisher.publish(message, (err) => {
      if (!this.inFlight) return; // its connection was already counted as lost
      this.inFlight = false;
      if (!err) {
        this.published++;
        this.drops = 0;
        return;
      }
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'number' && code >= 0x80) this.refuse({ code });
      else this.ctx.log.warn({ err, topic }, 'gate key not published');
    });
  }

  private dropped(): void {
    this.inFlight = false;
    if (++this.drops >= KEY_DROPS_AS_REFUSAL) this.refuse({ connectionsLost: this.drops });
  }

  private refuse(why: Record<string, unknown>): void {
    if (this.refused) return;
    this.refused = true;
    this.ctx.log.error(
      { ...why, topic: gateKeyTopic(this.opts.prefix, this.opts.siteId), keyId: this.opts.key.keyId },
      "the broker refused the gate's key: its ACL must let the gate write this topic (docs/mqtt-security.md); not sent again until restart",
    );
  }
}

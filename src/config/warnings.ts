import type { Config } from './schema.js';

/**
 * What is valid but probably not what the site wants, one line each as `path: what happens`:
 * `check-config` prints these after its summary (and still exits 0).
 */
export function configWarnings(config: Config): string[] {
  const warnings: string[] = [];
  const mqtt = config.mqtt;
  if (mqtt?.url && mqtt.central.keys.length === 0) {
    const commands = mqtt.commands.acceptUnsignedReadOnly ? 'every command but the read-only ones' : 'every command';
    warnings.push(
      `mqtt.central.keys: none: central's list pushes and ${commands} will be refused (no-central-key); add central's public key (smartgate sign keygen makes a key pair, docs/mqtt.md#signatures)`,
    );
  }
  return warnings;
}

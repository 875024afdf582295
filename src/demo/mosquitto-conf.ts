/** What a private Mosquitto (the demo's, the tests', the bench's) is told; see mosquittoConf. */
export interface LocalBrokerConf {
  port: number;
  /** Persistence directory (sessions, queued and retained messages); must end up writable by `user`. */
  dir: string;
  /** The user mosquitto runs as: the current one. */
  user: string;
  /** More lines, e.g. a TLS listener or ACLs for a test broker. */
  extra?: readonly string[];
}

/**
 * mosquitto.conf for a private broker: loopback only (so anonymous access is harmless), the
 * current user (started as root, mosquitto switches to user `mosquitto`, which cannot write our
 * data dir, and then silently fails to save its database on exit), persistence so a `tail`
 * session survives a restart of the demo, and no cap on queued messages (docs/mqtt.md, "What
 * central's broker must do").
 */
export function mosquittoConf(conf: LocalBrokerConf): string {
  return [
    `listener ${conf.port} 127.0.0.1`,
    'allow_anonymous true',
    `user ${conf.user}`,
    'persistence true',
    `persistence_location ${conf.dir}/`,
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'max_queued_messages 0',
    ...(conf.extra ?? []),
    '',
  ].join('\n');
}

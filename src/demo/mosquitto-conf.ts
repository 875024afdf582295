/** What a private Mosquitto (the demo's, the tests', the bench's) is told; see mosquittoConf. */
export interface LocalBrokerConf {
  port: number;
  /** Persistence directory (sessions, queued and retained messages); must end up writable by `user`. */
  dir: string;
  /** The user mosquitto runs as: the current one. */
  user: string;
  /** Accounts and ACL (the demo's broker); without them any local client may connect (test brokers). */
  auth?: { passwordFile: string; aclFile: string };
  /** More lines, e.g. a TLS listener or ACLs for a test broker. */
  extra?: readonly string[];
}

/**
 * The ACL of docs/mqtt-security.md, section 3 (a test compares the two): central's consumer
 * reads every gate and sends commands and lists; each gate, logged in as its site id, publishes
 * only under its own site and receives only its own commands and lists.
 */
export const SITE_ACL = `# Central's consumer (smartgate tail, or central's own service): reads every gate, sends commands and lists.
user central
topic read smartgate/v1/#
topic write smartgate/v1/+/commands/#
topic write smartgate/v1/+/lists/#

# Every gate, by its user name (= site.id): publishes what a gate publishes, under its own site
# only, and receives only its own commands and lists.
pattern write smartgate/v1/%u/status
pattern write smartgate/v1/%u/health
pattern write smartgate/v1/%u/key
pattern write smartgate/v1/%u/+/events
pattern write smartgate/v1/%u/+/state
pattern write smartgate/v1/%u/yards/+/state
pattern write smartgate/v1/%u/postcheck/summary
pattern write smartgate/v1/%u/replies/#
pattern read smartgate/v1/%u/commands/#
pattern read smartgate/v1/%u/lists/#
`;

/**
 * mosquitto.conf for a private broker: loopback only, the current user (started as root,
 * mosquitto switches to user `mosquitto`, which cannot write our data dir, and then silently
 * fails to save its database on exit), persistence so a `tail` session survives a restart of
 * the demo, and no cap on queued messages (docs/mqtt.md, "What central's broker must do").
 * With `auth`, only its accounts may connect, each within the ACL, as at a real site: other
 * users of the computer reach the loopback listener too.
 */
export function mosquittoConf(conf: LocalBrokerConf): string {
  return [
    `listener ${conf.port} 127.0.0.1`,
    ...(conf.auth
      ? ['allow_anonymous false', `password_file ${conf.auth.passwordFile}`, `acl_file ${conf.auth.aclFile}`]
      : ['allow_anonymous true']),
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

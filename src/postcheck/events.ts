/** What the post-check tells the rest of the daemon (beside the lanes' LaneEvents). */
export interface PostcheckEvents extends Record<string, unknown> {
  /** A passage was added to the post-check of `day` (the site's local date): its summary is new. */
  'postcheck.changed': { day: string };
}

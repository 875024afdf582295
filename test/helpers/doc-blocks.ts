/** The first ```conf block after `heading` in a Markdown page: a file the page tells a site to write. */
export function confBlockAfter(page: string, heading: string): string {
  const at = page.indexOf(heading);
  if (at < 0) throw new Error(`the page has no "${heading}"`);
  const block = /```conf\n([\s\S]*?)```/.exec(page.slice(at));
  if (!block) throw new Error(`the page has no conf block after "${heading}"`);
  return block[1]!;
}

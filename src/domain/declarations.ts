/**
 * Fee declarations and the post-check ("hậu kiểm", docs/postcheck.md): how a lane treats them
 * (`lanes[].decisions.declarations`), and what a passage may be flagged for afterwards.
 */
export const DECLARATION_MODES = ['off', 'required', 'post-check'] as const;
export type DeclarationMode = (typeof DECLARATION_MODES)[number];

export const POSTCHECK_FLAGS = ['undeclared', 'declaration-used', 'class-mismatch', 'country-mismatch'] as const;
export type PostcheckFlagKind = (typeof POSTCHECK_FLAGS)[number];

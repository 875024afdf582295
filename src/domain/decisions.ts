/** What a lane does with a vehicle: the `action` of every decision, in the lane, the store, the page and the metrics. */
export const DECISION_ACTIONS = ['open', 'hold', 'deny'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

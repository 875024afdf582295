/** A part of the daemon with a lifecycle. Constructors only keep their arguments. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}
